import { badRequest, ScimError } from '../../scim/errors.js';
import { parseScimFilter, type Filter } from '../../scim/filter.js';
import { operationError, readPatchOperations, type NumberedOperation } from '../../scim/patch.js';
import { attributeName, memberIdsFrom } from './group.mapper.js';

/**
 * A Group PATCH sorted in two (RFC 7644 3.5.2): member operations, applied straight to the
 * membership store so that they cost the same on a group of any size, and the other operations,
 * applied with scim/patch.ts applyOperations to the group without its members. The envelope is
 * read once, by scim/patch.ts readPatchOperations; operations keep their place in the request.
 */

type Json = Record<string, unknown>;

export type MemberOp =
  | { kind: 'add'; ids: string[]; index: number }
  | { kind: 'remove'; ids: string[]; index: number }
  | { kind: 'removeAll'; index: number }
  | { kind: 'replace'; ids: string[]; index: number };

export interface SplitPatch {
  memberOps: MemberOp[];
  /** Each other operation with its 1-based position in the request, for error details. */
  otherOps: NumberedOperation[];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(index: number, op: string, path: string | undefined, scimType: Parameters<typeof badRequest>[0], message: string): never {
  throw operationError(index, op, path, scimType, message);
}

/** Ids named by `value eq "id"` terms joined by "or" (Okta: members[value eq "id"]). */
function idsOfValueFilter(node: Filter, fallback: () => never): string[] {
  if (node.op === 'or') return (node as { filters: Filter[] }).filters.flatMap((f) => idsOfValueFilter(f, fallback));
  const n = node as { op: string; attrPath?: string; compValue?: unknown };
  if (n.op === 'eq' && n.attrPath?.toLowerCase() === 'value' && typeof n.compValue === 'string') return [n.compValue];
  return fallback();
}

export function splitGroupPatch(body: unknown): SplitPatch {
  const split: SplitPatch = { memberOps: [], otherOps: [] };
  for (const { index, operation: given } of readPatchOperations(body)) {
    const operation = Object.fromEntries(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
    // Entra ID capitalises op names ("Add", "Remove", "Replace").
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined;
    const rawPath = typeof operation.path === 'string' && operation.path.trim() !== '' ? operation.path.trim() : undefined;
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      // Left to applyPatch, which names the error.
      split.otherOps.push({ index, operation: given });
      continue;
    }
    const hasValue = 'value' in operation;
    const value = operation.value;
    const path = rawPath === undefined ? undefined : attributeName(rawPath);

    if (path === undefined) {
      // RFC 7644 3.5.2.1/3.5.2.3 without a path: {"members": [...], "displayName": ...} (and Entra ID's
      // {"id": ..., "displayName": ...} rename, whose id applyPatch ignores).
      if ((op === 'add' || op === 'replace') && isObject(value)) {
        const membersKey = Object.keys(value).find((k) => attributeName(k) === 'members');
        if (membersKey !== undefined) {
          const ids = memberIdsFrom(value[membersKey], `operation ${index}: value.members`);
          split.memberOps.push(op === 'add' ? { kind: 'add', ids, index } : { kind: 'replace', ids, index });
          const rest = { ...value };
          delete rest[membersKey];
          if (Object.keys(rest).length > 0) split.otherOps.push({ index, operation: { ...given, value: rest } });
          continue;
        }
      }
      split.otherOps.push({ index, operation: given });
      continue;
    }

    if (path === 'members') {
      if (op === 'remove') {
        const empty = !hasValue || value === null || value === '' || (Array.isArray(value) && value.length === 0);
        // RFC 7644 3.5.2.2: remove without a value filter removes every member; Entra ID names the
        // members to remove in "value" instead (learn.microsoft.com, "Known issues and resolutions").
        split.memberOps.push(empty ? { kind: 'removeAll', index } : { kind: 'remove', ids: memberIdsFrom(value, `operation ${index}: value`), index });
        continue;
      }
      if (!hasValue) fail(index, op, rawPath, 'invalidValue', 'a value is required');
      const ids = memberIdsFrom(value, `operation ${index}: value`);
      split.memberOps.push(op === 'add' ? { kind: 'add', ids, index } : { kind: 'replace', ids, index });
      continue;
    }

    if (path.startsWith('members[') || path.startsWith('members.')) {
      const close = rawPath!.lastIndexOf(']');
      const open = rawPath!.indexOf('[');
      const filterText = open >= 0 && close > open ? rawPath!.slice(open + 1, close) : undefined;
      const after = close >= 0 ? rawPath!.slice(close + 1) : '';
      if (op !== 'remove' || filterText === undefined || after !== '') {
        fail(index, op, rawPath, 'invalidPath', 'members can be added, replaced or removed as a whole; a single member is removed with members[value eq "id"]');
      }
      let ast: Filter;
      try {
        ast = parseScimFilter(filterText);
      } catch (err) {
        if (err instanceof ScimError) fail(index, op, rawPath, 'invalidFilter', err.detail);
        throw err;
      }
      const ids = idsOfValueFilter(ast, () =>
        fail(index, op, rawPath, 'invalidFilter', 'a member filter must be value eq "id" (or several joined by "or")'),
      );
      split.memberOps.push({ kind: 'remove', ids: [...new Set(ids)], index });
      continue;
    }
    split.otherOps.push({ index, operation: given });
  }
  return split;
}
