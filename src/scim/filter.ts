/**
 * SCIM filters (RFC 7644 3.4.2.2) resolved into a typed condition tree over the stored fields of
 * docs/architecture.md, and sorting (RFC 7644 3.4.2.3). store/filter-query.ts compiles the tree to
 * a MongoDB query. Field names come from the field map only; user input only ever becomes a value.
 *
 * Missing attributes: `ne` is the complement of `eq` and `not` the complement
 * of its filter, so both match resources where the attribute is absent. On a
 * multi-valued attribute `emails.type ne "work"` therefore means "no email has
 * type work", the same as `not (emails.type eq "work")`.
 */
import type { Compare, Filter } from 'scim2-parse-filter';
import { Tokens, parseFilter } from 'scim2-parse-filter/lib/src/parser.js';
import { badRequest, type ScimError } from './errors.js';
import {
  resolveField,
  resolveValuePath,
  type FieldDef,
  type FilterResourceType,
} from './field-map.js';

export type { Filter } from 'scim2-parse-filter';
export type MongoSort = Record<string, 1 | -1>;

export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of parentheses and brackets accepted. */
export const MAX_FILTER_NESTING = 32;
/** Deepest expression tree accepted (and/or/not chains count too). */
export const MAX_FILTER_DEPTH = 64;
/**
 * Positions of a multi-valued attribute that a value filter such as
 * `emails[type eq "work"]` examines; the domain caps multi-valued attributes at it.
 */
export const MAX_VALUE_PATH_ELEMENTS = 10;

const invalidFilter = (detail: string): ScimError => badRequest('invalidFilter', detail);

/** Escapes every regular-expression metacharacter so the text matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------
// Tokenizer: ours, not the library's, so that string escapes, positions, the
// length and nesting limits, and the Entra ID value-path form are handled here.

type TokenType = 'Word' | 'Quoted' | 'Number' | 'Bracket';

interface Token {
  type: TokenType;
  /** What the library parser reads: a JSON literal for Quoted and Number. */
  literal: string;
  pos: number;
  /** A `]` immediately followed by `.`, as in `emails[type eq "work"].value`. */
  dotted?: boolean;
}

const WORD = /[A-Za-z_$][\w$.:\-]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw invalidFilter(`unterminated string starting at position ${i}`);
      let value: unknown;
      try {
        // RFC 7644 3.4.2.2: compValue strings are JSON strings (RFC 7159).
        value = JSON.parse(text.slice(i, j + 1));
      } catch {
        throw invalidFilter(`invalid string literal at position ${i}`);
      }
      tokens.push({ type: 'Quoted', literal: JSON.stringify(value), pos: i });
      i = j + 1;
    } else if (c === '(' || c === ')' || c === '[') {
      tokens.push({ type: 'Bracket', literal: c, pos: i });
      i += 1;
    } else if (c === ']') {
      const dotted = text[i + 1] === '.';
      tokens.push({ type: 'Bracket', literal: c, pos: i, ...(dotted ? { dotted } : {}) });
      i += dotted ? 2 : 1;
    } else {
      NUMBER.lastIndex = i;
      WORD.lastIndex = i;
      const number = NUMBER.exec(text);
      const word = number ? null : WORD.exec(text);
      const match = number ?? word;
      if (!match) throw invalidFilter(`unexpected character "${c}" at position ${i}`);
      tokens.push({ type: number ? 'Number' : 'Word', literal: match[0], pos: i });
      i += match[0].length;
    }
  }
  return tokens;
}

function checkNesting(tokens: Token[]): void {
  let depth = 0;
  for (const t of tokens) {
    if (t.literal === '(' || t.literal === '[') depth += 1;
    else if (t.literal === ')' || t.literal === ']') depth -= 1;
    if (depth > MAX_FILTER_NESTING) {
      throw invalidFilter(`filter is nested deeper than ${MAX_FILTER_NESTING} levels (position ${t.pos})`);
    }
  }
}

/**
 * Entra ID sends `emails[type eq "work"].value eq "a@example.com"`, which the
 * RFC 7644 grammar lacks; it means both conditions on the same element, so it
 * is rewritten to `emails[(type eq "work") and value eq "a@example.com"]`.
 */
function rewriteSubAttributeAfterValuePath(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const opens: number[] = [];
  for (let k = 0; k < tokens.length; k += 1) {
    const t = tokens[k]!;
    if (t.type === 'Bracket' && t.literal === '[') {
      opens.push(out.length);
      out.push(t);
      continue;
    }
    if (t.type !== 'Bracket' || t.literal !== ']') {
      out.push(t);
      continue;
    }
    const open = opens.pop();
    if (!t.dotted) {
      out.push(t);
      continue;
    }
    const sub = tokens[k + 1];
    const op = tokens[k + 2];
    if (open === undefined || !sub || sub.type !== 'Word' || !op || op.type !== 'Word') {
      throw invalidFilter(`expected a sub-attribute and an operator after "]." at position ${t.pos}`);
    }
    const withValue = op.literal.toLowerCase() !== 'pr';
    const value = tokens[k + 3];
    if (withValue && !value) throw invalidFilter(`expected a value after "${op.literal}" at position ${op.pos}`);
    out.splice(open + 1, 0, { type: 'Bracket', literal: '(', pos: out[open]!.pos });
    out.push({ type: 'Bracket', literal: ')', pos: t.pos }, { type: 'Word', literal: 'and', pos: t.pos }, sub, op);
    if (withValue) out.push(value!);
    out.push({ type: 'Bracket', literal: ']', pos: t.pos });
    k += withValue ? 3 : 2;
  }
  return out;
}

/** Parses a SCIM filter into the scim2-parse-filter AST; every failure is invalidFilter. */
export function parseScimFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw invalidFilter(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const raw = tokenize(text);
  if (raw.length === 0) throw invalidFilter('filter is empty');
  checkNesting(raw);
  const tokens = rewriteSubAttributeAfterValuePath(raw);
  const list = new Tokens([
    ...tokens.map(({ type, literal }) => ({ type, literal })),
    { type: 'EOT', literal: '' },
  ]);
  const positionAt = (index: number): number => tokens[index]?.pos ?? text.length;
  let ast: Filter;
  try {
    ast = parseFilter(list);
  } catch (e) {
    const failed = Math.max(list.i - 1, 0);
    if (failed >= tokens.length) throw invalidFilter(`invalid filter syntax: unexpected end of filter at position ${text.length}`);
    const message = e instanceof Error ? e.message : String(e);
    throw invalidFilter(`invalid filter syntax near position ${positionAt(failed)}: ${message}`);
  }
  if (list.peek().type !== 'EOT') {
    const t = tokens[list.i];
    throw invalidFilter(`invalid filter syntax: unexpected "${t?.literal ?? ''}" at position ${positionAt(list.i)}`);
  }
  return ast;
}

// ---------------------------------------------------------------------------
// The condition tree

/** A comparison operator of RFC 7644 3.4.2.2 other than "pr". */
export type CompareOp = Compare['op'];
/** A filter value as compared: typed by the attribute (a dateTime is a Date). */
export type Literal = string | number | boolean | Date | null;

/**
 * A SCIM filter resolved against the field map: a typed tree of conditions on stored fields, with
 * every value checked against its attribute's type and case rule. Nothing in it is a database
 * operator; store/filter-query.ts compiles it to a MongoDB query and ANDs in the organization.
 *
 * - `compare`: the attribute `attribute` (as the client wrote it) stored at `field`, compared with
 *   `op` and `value` under the case rule: `caseExact`, or the lower-cased shadow `keyField`
 *   (store/case-keys.ts), or, with neither, a case-insensitive match of `field`.
 * - `present`: RFC 7644 3.4.2.2 "pr" on `field` of the attribute's `type`.
 * - `exists`: an element at this position of a stored array (value filters, below).
 * - `in`: the field equals one of `values` (membership conditions resolved by the domain, tabs).
 * - `all`/`none`: a condition known without reading (meta.resourceType).
 * - `keyset`: the documents after (or before) a cursor position in a sort (RFC 9865).
 */
export type Condition =
  | { kind: 'and'; conditions: Condition[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition }
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'exists'; field: string }
  | { kind: 'in'; field: string; values: unknown[] }
  | { kind: 'present'; attribute: string; field: string; type: FieldDef['type'] }
  | {
      kind: 'compare';
      attribute: string;
      field: string;
      keyField?: string;
      caseExact: boolean;
      op: CompareOp;
      value: Exclude<Literal, null>;
    }
  | { kind: 'keyset'; sort: Record<string, 1 | -1>; key: unknown[]; direction: 'next' | 'previous' };

/** Matches every resource: a list without a filter. */
export const MATCH_ALL: Condition = Object.freeze({ kind: 'all' }) as Condition;

/** A stored field equal to a value, compared exactly (the side API's own conditions). */
export function fieldEquals(field: string, value: string): Condition {
  return { kind: 'compare', attribute: field, field, caseExact: true, op: 'eq', value };
}

/** Both conditions; `all` drops out. */
export function both(left: Condition, right: Condition): Condition {
  if (left.kind === 'all') return right;
  if (right.kind === 'all') return left;
  return { kind: 'and', conditions: [left, right] };
}

/** Replaces, depth first, the leaves for which `replace` answers a condition (undefined: kept). */
export async function mapLeaves(condition: Condition, replace: (leaf: Condition) => Promise<Condition | undefined>): Promise<Condition> {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return { kind: condition.kind, conditions: await Promise.all(condition.conditions.map((c) => mapLeaves(c, replace))) };
    case 'not':
      return { kind: 'not', condition: await mapLeaves(condition.condition, replace) };
    default:
      return (await replace(condition)) ?? condition;
  }
}

interface Scope {
  /** Lower-cased canonical name of the multi-valued attribute, e.g. "emails". */
  name: string;
  /** The attribute as the client wrote it, for error details. */
  written: string;
  /** Set when conditions apply to one element of a stored array of objects. */
  arrayField?: string;
  /** The dotted path of the one element being matched, e.g. "emails.3". */
  element?: string;
}

interface Context {
  resourceType: FilterResourceType;
  scope?: Scope;
}

/** Resolves a parsed filter into the condition tree; every unknown attribute or bad value is invalidFilter. */
export function conditionOf(ast: Filter, resourceType: FilterResourceType): Condition {
  return translate(ast, { resourceType }, 0);
}

/** Parses and resolves a SCIM filter; store/ compiles the result and ANDs in the tenant and lifecycle scope. */
export function parseCondition(text: string, resourceType: FilterResourceType): Condition {
  return conditionOf(parseScimFilter(text), resourceType);
}

function translate(node: Filter, ctx: Context, depth: number): Condition {
  if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`filter is nested deeper than ${MAX_FILTER_DEPTH} levels`);
  switch (node.op) {
    case 'and':
    case 'or': {
      const filters = (node as { filters: Filter[] }).filters;
      return { kind: node.op, conditions: filters.map((f) => translate(f, ctx, depth + 1)) };
    }
    case 'not':
      // RFC 7644 3.4.2.2: "not" is the logical inverse, so absent attributes match.
      return { kind: 'not', condition: translate((node as { filter: Filter }).filter, ctx, depth + 1) };
    case '[]': {
      const { attrPath, valFilter } = node as { attrPath: string; valFilter: Filter };
      return translateValuePath(attrPath, valFilter, ctx, depth);
    }
    case 'pr':
      return translateAttribute((node as { attrPath: string }).attrPath, 'pr', undefined, ctx);
    default: {
      const { op, attrPath, compValue } = node as Compare;
      return translateAttribute(attrPath, op, compValue, ctx);
    }
  }
}

/**
 * RFC 7644 3.4.2.2: the conditions of a value filter hold on the same element.
 * FerretDB 1.x implements $elemMatch for arrays of scalars only, so "some element
 * i matches" is spelled out over the positions emails.0 ... emails.N-1; arrays
 * longer than MAX_VALUE_PATH_ELEMENTS are not searched past that position. The
 * any-element conditions the value filter implies are ANDed in front so that an
 * index such as {orgId, emails.valueKey} narrows the scan.
 */
function translateValuePath(attrPath: string, valFilter: Filter, ctx: Context, depth: number): Condition {
  if (ctx.scope) {
    throw invalidFilter(`value path "${attrPath}[...]" cannot be nested inside "${ctx.scope.written}[...]"`);
  }
  const vp = resolveValuePath(ctx.resourceType, attrPath);
  if (!vp) {
    if (resolveField(ctx.resourceType, attrPath)) {
      throw invalidFilter(`"${attrPath}" is not a multi-valued attribute and cannot take a value filter`);
    }
    throw invalidFilter(`unknown attribute "${attrPath}" in filter`);
  }
  const scope: Scope = { name: vp.name, written: attrPath };
  if (vp.arrayField === undefined) {
    // Arrays of plain ids (groups, members) have one sub-attribute, so any element will do.
    return translate(valFilter, { ...ctx, scope }, depth + 1);
  }
  const arrayField = vp.arrayField;
  const perElement: Condition[] = [];
  for (let i = 0; i < MAX_VALUE_PATH_ELEMENTS; i += 1) {
    const element = `${arrayField}.${i}`;
    const inner = translate(valFilter, { ...ctx, scope: { ...scope, arrayField, element } }, depth + 1);
    perElement.push({ kind: 'and', conditions: [{ kind: 'exists', field: element }, inner] });
  }
  const implied = impliedConditions(valFilter, { ...ctx, scope: { ...scope, arrayField } });
  const anyElement: Condition = { kind: 'or', conditions: perElement };
  return implied.length === 0 ? anyElement : { kind: 'and', conditions: [...implied, anyElement] };
}

/** Any-element conditions that a value filter implies: its positive comparisons under "and". */
function impliedConditions(node: Filter, ctx: Context): Condition[] {
  if (node.op === 'and') return (node as { filters: Filter[] }).filters.flatMap((f) => impliedConditions(f, ctx));
  if (node.op === 'pr') return [translateAttribute((node as { attrPath: string }).attrPath, 'pr', undefined, ctx)];
  if (node.op === 'or' || node.op === 'not' || node.op === '[]' || node.op === 'ne') return [];
  const { op, attrPath, compValue } = node as Compare;
  return compValue === null ? [] : [translateAttribute(attrPath, op, compValue, ctx)];
}

function resolveInContext(attrPath: string, ctx: Context): { def: FieldDef; written: string } {
  if (!ctx.scope) {
    const def = resolveField(ctx.resourceType, attrPath);
    if (!def) throw invalidFilter(`unknown attribute "${attrPath}" in filter`);
    return { def, written: attrPath };
  }
  const written = `${ctx.scope.written}.${attrPath}`;
  const def = resolveField(ctx.resourceType, `${ctx.scope.name}.${attrPath}`);
  if (!def || !def.multiValued || def.arrayField !== ctx.scope.arrayField) {
    throw invalidFilter(`unknown attribute "${written}" in filter`);
  }
  return { def, written };
}

interface Target {
  field: string;
  keyField?: string;
  /** The path reaches into an array, so a condition holds when any value satisfies it. */
  anyValue: boolean;
}

function targetOf(def: FieldDef, scope: Scope | undefined): Target {
  if (scope?.element !== undefined && def.arrayField !== undefined) {
    const prefix = `${def.arrayField}.`;
    const target: Target = { field: `${scope.element}.${def.subField}`, anyValue: false };
    if (def.keyField?.startsWith(prefix)) target.keyField = `${scope.element}.${def.keyField.slice(prefix.length)}`;
    // A shadow key in the parallel array ci.<arrayField> (store/case-keys.ts): the same position.
    else if (def.keyField?.startsWith(`ci.${prefix}`)) target.keyField = `ci.${scope.element}.${def.keyField.slice(prefix.length + 3)}`;
    return target;
  }
  return { field: def.field, ...(def.keyField ? { keyField: def.keyField } : {}), anyValue: def.multiValued === true };
}

function translateAttribute(
  attrPath: string,
  op: Compare['op'] | 'pr',
  compValue: Compare['compValue'] | undefined,
  ctx: Context,
): Condition {
  const { def, written } = resolveInContext(attrPath, ctx);
  const value = op === 'pr' ? undefined : toLiteral(def, op, compValue ?? null, written);
  if (def.constant !== undefined) return compareConstant(def.constant, op, value);
  const target = targetOf(def, ctx.scope);
  const present: Condition = { kind: 'present', attribute: written, field: target.field, type: def.type };

  if (op === 'pr' || (op === 'ne' && value === null)) return present;
  // RFC 7644 3.4.2.2: a null value is "not present".
  if (op === 'eq' && value === null) return { kind: 'not', condition: present };
  // On a multi-valued attribute the filter matches when any value matches (RFC 7644
  // 3.4.2.2), so ne, the complement of eq, means that no value is equal.
  if (op === 'ne' && target.anyValue) return { kind: 'not', condition: comparison(def, target, 'eq', value!, written) };
  return comparison(def, target, op, value!, written);
}

const ORDERING = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING = new Set(['co', 'sw', 'ew']);

function toLiteral(def: FieldDef, op: Compare['op'], value: Compare['compValue'], written: string): Literal {
  if (value === null) {
    if (op === 'eq' || op === 'ne') return null;
    throw invalidFilter(`"${op}" cannot compare "${written}" with null`);
  }
  switch (def.type) {
    case 'boolean':
      // RFC 7644 3.4.2.2: gt, ge, lt and le on a boolean SHALL fail with invalidFilter.
      if (op !== 'eq' && op !== 'ne') throw invalidFilter(`"${op}" is not defined for the boolean attribute "${written}"`);
      if (typeof value !== 'boolean') {
        throw invalidFilter(`"${written}" is a boolean; expected true or false, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'dateTime': {
      if (SUBSTRING.has(op)) throw invalidFilter(`"${op}" is not defined for the dateTime attribute "${written}"`);
      const date = typeof value === 'string' ? parseDateTime(value) : undefined;
      if (!date) {
        throw invalidFilter(`"${written}" is a dateTime; expected an RFC 3339 date-time, got ${JSON.stringify(value)}`);
      }
      return date;
    }
    case 'integer':
    case 'decimal':
      if (SUBSTRING.has(op)) throw invalidFilter(`"${op}" is not defined for the number attribute "${written}"`);
      if (typeof value !== 'number') throw invalidFilter(`"${written}" is a number; expected a number, got ${JSON.stringify(value)}`);
      return value as unknown as Literal;
    default:
      if (def.type === 'binary' && ORDERING.has(op)) {
        throw invalidFilter(`"${op}" is not defined for the binary attribute "${written}"`);
      }
      if (typeof value !== 'string') {
        throw invalidFilter(`"${written}" is a string; expected a quoted value, got ${JSON.stringify(value)}`);
      }
      return value;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;

/** RFC 7643 2.3.5: dateTime is an xsd:dateTime with a time zone, as in RFC 3339 section 5.6. */
export function parseDateTime(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth) return undefined;
  if (hour! > 23 || minute! > 59 || second! > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A comparison leaf, refused when no stored form can answer it under the attribute's case rule. */
function comparison(def: FieldDef, target: Target, op: Compare['op'], value: Exclude<Literal, null>, written: string): Condition {
  const leaf: Condition = {
    kind: 'compare',
    attribute: written,
    field: target.field,
    ...(target.keyField ? { keyField: target.keyField } : {}),
    caseExact: def.caseExact,
    op,
    value,
  };
  if (typeof value !== 'string') return leaf;
  if (value.includes('\u0000') && (SUBSTRING.has(op) || (!def.caseExact && !target.keyField))) {
    throw invalidFilter(`the value compared with "${written}" contains a NUL character`);
  }
  if (!def.caseExact && !target.keyField && ORDERING.has(op)) {
    // Without a lower-cased shadow field the database can only order case-sensitively,
    // which would silently give wrong answers for a caseExact=false attribute.
    throw invalidFilter(`"${op}" is not supported on the case-insensitive attribute "${written}"`);
  }
  return leaf;
}

function compareConstant(constant: string, op: Compare['op'] | 'pr', value: Literal | undefined): Condition {
  let matches: boolean;
  if (op === 'pr') matches = true;
  else if (value === null) matches = op === 'ne';
  else {
    const v = value as string;
    const table: Record<Compare['op'], boolean> = {
      eq: constant === v,
      ne: constant !== v,
      co: constant.includes(v),
      sw: constant.startsWith(v),
      ew: constant.endsWith(v),
      gt: constant > v,
      ge: constant >= v,
      lt: constant < v,
      le: constant <= v,
    };
    matches = table[op];
  }
  return matches ? { kind: 'all' } : { kind: 'none' };
}

// ---------------------------------------------------------------------------
// Sorting

/**
 * RFC 7644 3.4.2.3: sortBy names one attribute, sortOrder is "ascending" (the
 * default) or "descending". The spec leaves unknown attributes open; we reject
 * them with invalidValue. The sort always ends with _id so pages are stable.
 */
export function sortToMongo(
  sortBy: string | undefined,
  sortOrder: string | undefined,
  resourceType: FilterResourceType,
): MongoSort {
  let direction: 1 | -1 = 1;
  if (sortOrder !== undefined && sortOrder !== '') {
    const order = sortOrder.toLowerCase();
    if (order === 'descending') direction = -1;
    else if (order !== 'ascending') {
      throw badRequest('invalidValue', `sortOrder must be "ascending" or "descending", got "${sortOrder}"`);
    }
  }
  if (sortBy === undefined || sortBy.trim() === '') return { created: 1, _id: 1 };
  const def = resolveField(resourceType, sortBy);
  if (!def) throw badRequest('invalidValue', `cannot sort by unknown attribute "${sortBy}"`);
  if (!def.sortable) {
    throw badRequest('invalidValue', `cannot sort by "${sortBy}": only single-valued attributes are sortable`);
  }
  const field = !def.caseExact && def.keyField ? def.keyField : def.field;
  return field === '_id' ? { _id: direction } : { [field]: direction, _id: direction };
}
