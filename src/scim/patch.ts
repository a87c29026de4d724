/**
 * RFC 7644 3.5.2 PATCH, applied to the SCIM wire representation of a resource (core attributes at
 * the top level, extension attributes under their schema URN). Pure: the input is never mutated,
 * a new object is returned, and either every operation applies or a ScimError is thrown.
 *
 * Written here rather than on the `scim-patch` package: that package knows no schema, so it cannot
 * match names case-insensitively, coerce Entra ID's string booleans, refuse readOnly or unknown
 * attributes, keep one primary, avoid duplicate elements, or remove the elements listed in a
 * remove operation's value (it ignores that value).
 */
import { parse as parseFilter } from 'scim2-parse-filter';
import type { Filter } from 'scim2-parse-filter';
import { badRequest } from './errors.js';
import type { ScimError, ScimType } from './errors.js';
import type { AttributeDef } from './schema-types.js';
import { SCHEMA_URN } from './schema-types.js';
import { findAttribute, findExtensionUrn, findSchema, listResourceSchemas } from './schemas.js';
import type { ScimResourceType } from './schemas.js';

export type PatchResourceType = ScimResourceType;

export interface PatchResult {
  resource: Record<string, unknown>;
  changed: boolean;
}

type Json = Record<string, unknown>;
type OpName = 'add' | 'replace' | 'remove';

/** A resolved PATCH path: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, URN-qualified or not. */
interface Target {
  /** Extension URN the attribute lives under, or undefined for a core attribute. */
  extension: string | undefined;
  attribute: AttributeDef;
  filter: Filter | undefined;
  subAttribute: AttributeDef | undefined;
}

/** Names the operation (1-based) and its path in every error detail, as clients need to find the culprit. */
class OperationContext {
  constructor(
    readonly index: number,
    readonly op: OpName,
    readonly path: string | undefined,
  ) {}

  withPath(path: string): OperationContext {
    return new OperationContext(this.index, this.op, path);
  }

  fail(scimType: ScimType, message: string): never {
    throw operationError(this.index, this.op, this.path, scimType, message);
  }
}

/** A 400 that names the operation (1-based), its op and its path, the form of every PATCH error detail. */
export function operationError(index: number, op: string, path: string | undefined, scimType: ScimType, message: string): ScimError {
  const where = path === undefined ? 'no path' : `path "${path}"`;
  return badRequest(scimType, `operation ${index} (${op}, ${where}): ${message}`);
}

/** One operation of a PatchOp request with its 1-based position in the request. */
export interface NumberedOperation {
  index: number;
  operation: Json;
}

const IGNORED_PATHLESS_KEYS = new Set(['id', 'meta', 'schemas']);

export function applyPatch(
  resource: Record<string, unknown>,
  body: unknown,
  resourceType: PatchResourceType,
): PatchResult {
  return applyOperations(resource, readPatchOperations(body), resourceType);
}

/**
 * Applies operations already read (readPatchOperations), each under its own position, to a copy of
 * the resource: a caller that handles some operations itself (group members) applies the rest here
 * and errors still name the operation's place in the request.
 */
export function applyOperations(resource: Json, operations: NumberedOperation[], resourceType: PatchResourceType): PatchResult {
  const document = structuredClone(resource);
  for (const { index, operation } of operations) applyOperation(document, operation, index, resourceType);
  return { resource: document, changed: !deepEqual(document, resource) };
}

/** The PatchOp envelope (RFC 7644 3.5.2): the schema, a non-empty Operations array of objects. */
export function readPatchOperations(body: unknown): NumberedOperation[] {
  return readOperations(body).map((operation, position) => ({ index: position + 1, operation }));
}

function readOperations(body: unknown): Json[] {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the PATCH body must be a PatchOp JSON object');
  const schemas = body['schemas'];
  const patchOp = SCHEMA_URN.patchOp.toLowerCase();
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === patchOp)) {
    throw badRequest('invalidSyntax', `schemas must contain "${SCHEMA_URN.patchOp}"`);
  }
  // RFC 7644 3.5.2 spells it "Operations"; some clients send "operations".
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = key === undefined ? undefined : body[key];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw badRequest('invalidSyntax', 'Operations must be a non-empty array');
  }
  operations.forEach((operation, position) => {
    if (!isObject(operation)) throw badRequest('invalidSyntax', `operation ${position + 1}: must be an object`);
    operationShape(operation, position + 1);
  });
  return operations as Json[];
}

/** An operation read and checked by operationShape: op lower-cased, path trimmed (undefined when absent or blank). */
type OperationShape = { hasValue: boolean; value: unknown; context: OperationContext } & (
  | { op: 'remove'; path: string }
  | { op: 'add' | 'replace'; path: string | undefined }
);

/**
 * What RFC 7644 3.5.2 asks of one operation whatever the resource holds: a known op, a string path,
 * a path on remove (3.5.2.2: otherwise noTarget), a value on add and replace (3.5.2.1, 3.5.2.3), an
 * object value when they have no path. Checked for every operation before anything else (If-Match
 * included: RFC 9110 13.2.1 evaluates preconditions after the request's own checks), so a malformed
 * request is a 400 naming its fault whatever version it names.
 */
function operationShape(given: Json, index: number): OperationShape {
  // Member names are matched like attribute names (RFC 7643 2.1), for clients that send "Op" or "Path".
  const operation = Object.fromEntries(Object.entries(given).map(([key, value]) => [key.toLowerCase(), value]));
  const rawOp = operation['op'];
  // Entra ID capitalises op names ("Replace", "Add", "Remove").
  const op = typeof rawOp === 'string' ? rawOp.toLowerCase() : undefined;
  const rawPath = operation['path'];
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    const where = typeof rawPath === 'string' ? `path "${rawPath}"` : 'no path';
    throw badRequest('invalidSyntax', `operation ${index} (${where}): unknown op ${JSON.stringify(rawOp ?? null)}`);
  }
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    throw badRequest('invalidPath', `operation ${index} (${op}): path must be a string`);
  }
  const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  const context: OperationContext = new OperationContext(index, op, path);
  const hasValue = 'value' in operation;
  const value = operation['value'];
  if (op === 'remove') {
    if (path === undefined) context.fail('noTarget', 'remove requires a path');
    return { op, path, hasValue, value, context };
  }
  if (!hasValue) context.fail('invalidValue', 'a value is required');
  if (path === undefined && !isObject(value)) context.fail('invalidValue', 'without a path, the value must be an object of attributes');
  return { op, path, hasValue, value, context };
}

function applyOperation(document: Json, given: Json, index: number, resourceType: PatchResourceType): void {
  const shape = operationShape(given, index);
  const { hasValue, value, context } = shape;

  if (shape.op === 'remove') {
    const path = shape.path;
    const extension = findExtensionUrn(resourceType, path);
    if (extension !== undefined) {
      removeExtension(document, extension, context);
      return;
    }
    removeAt(document, resolvePath(path, resourceType, context), hasValue ? value : undefined, context);
    return;
  }

  const { op, path } = shape;
  if (path === undefined) {
    applyPathless(document, op, value, resourceType, context);
    return;
  }
  const extension = findExtensionUrn(resourceType, path);
  if (extension !== undefined) {
    if (!isObject(value)) context.fail('invalidValue', 'expected an object of extension attributes');
    applyPathless(document, op, { [extension]: value }, resourceType, context);
    return;
  }
  setAt(document, op, resolvePath(path, resourceType, context), value, context);
}

/** RFC 7644 3.5.2.1 / 3.5.2.3 without a path: the value is an object of attributes to merge in. */
function applyPathless(
  document: Json,
  op: 'add' | 'replace',
  value: unknown,
  resourceType: PatchResourceType,
  context: OperationContext,
): void {
  if (!isObject(value)) context.fail('invalidValue', 'without a path, the value must be an object of attributes');
  const coreUrn = listResourceSchemas(resourceType)[0]?.id.toLowerCase();
  for (const [key, entry] of Object.entries(value)) {
    // Entra ID renames a group with {"id": ..., "displayName": ...}: echoed id, meta and schemas are ignored.
    if (IGNORED_PATHLESS_KEYS.has(key.toLowerCase())) continue;
    if (key.toLowerCase() === coreUrn) {
      applyPathless(document, op, entry, resourceType, context);
      continue;
    }
    const extension = findExtensionUrn(resourceType, key);
    if (extension !== undefined) {
      if (!isObject(entry)) return context.withPath(key).fail('invalidValue', 'expected an object of extension attributes');
      for (const [name, extensionValue] of Object.entries(entry)) {
        // A client that models the extension as an object of its own echoes its `schemas` in it
        // (scim2-models does): not an attribute of the extension, ignored like at the top level.
        if (name.toLowerCase() === 'schemas') continue;
        applyPathlessEntry(document, op, `${extension}:${name}`, extensionValue, resourceType, context);
      }
      continue;
    }
    // Entra ID sends dotted and URN-qualified keys ("name.givenName", "urn:...:User:employeeNumber").
    applyPathlessEntry(document, op, key, entry, resourceType, context);
  }
}

function applyPathlessEntry(
  document: Json,
  op: 'add' | 'replace',
  key: string,
  value: unknown,
  resourceType: PatchResourceType,
  parent: OperationContext,
): void {
  const context: OperationContext = parent.withPath(key);
  const target = resolvePath(key, resourceType, context);
  const mutability = target.subAttribute?.mutability ?? target.attribute.mutability;
  if (mutability === 'readOnly' || target.attribute.mutability === 'readOnly') {
    // A client echoing a readOnly attribute unchanged is harmless; changing it is not.
    const current = readCurrent(document, target);
    if (deepEqual(current, value) || (isNoValue(current) && isNoValue(value))) return;
  }
  setAt(document, op, target, value, context);
}

/** Absent, null, "" and [] all mean "no value": a client echoing `"groups": []` changes nothing. */
function isNoValue(value: unknown): boolean {
  return isEmptyValue(value) || (Array.isArray(value) && value.length === 0);
}

function readCurrent(document: Json, target: Target): unknown {
  const container = target.extension === undefined ? document : document[target.extension];
  if (!isObject(container)) return undefined;
  const current = container[target.attribute.name];
  if (target.subAttribute === undefined) return current;
  return isObject(current) ? current[target.subAttribute.name] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Paths

function resolvePath(path: string, resourceType: PatchResourceType, context: OperationContext): Target {
  const open = path.indexOf('[');
  let head = path;
  let filterText: string | undefined;
  let tail: string | undefined;
  if (open >= 0) {
    const close = findClosingBracket(path, open);
    if (close < 0) context.fail('invalidPath', 'unbalanced brackets in path');
    head = path.slice(0, open);
    filterText = path.slice(open + 1, close);
    const rest = path.slice(close + 1);
    if (rest !== '') {
      if (!/^\.[A-Za-z$][\w$-]*$/.test(rest)) context.fail('invalidPath', `unexpected "${rest}" after the value filter`);
      tail = rest.slice(1);
    }
  } else if (path.includes(']')) {
    context.fail('invalidPath', 'unbalanced brackets in path');
  }

  const found = findAttribute(resourceType, head);
  if (!found) {
    // A path under a schema URN this resource type does not serve (for Users: not declared by the
    // organization, README "Custom schema extensions") names the URN, like a body would.
    const schemaUrn = /^urn:/i.test(head) && !listResourceSchemas(resourceType).some((s) => head.toLowerCase().startsWith(s.id.toLowerCase()));
    if (schemaUrn) context.fail('invalidValue', `"${head}" is under a schema this organization does not serve for ${resourceType}s (User extensions are declared with POST /api/v1/schema-extensions)`);
    context.fail('invalidPath', `unknown attribute "${head}"`);
  }
  const { attribute } = found;
  let subAttribute = found.subAttribute;
  if (filterText !== undefined && subAttribute !== undefined) {
    context.fail('invalidPath', 'a value filter must follow the attribute, not its sub-attribute');
  }
  if (tail !== undefined) {
    subAttribute = findByName(attribute.subAttributes ?? [], tail);
    if (!subAttribute) context.fail('invalidPath', `unknown sub-attribute "${tail}" of "${attribute.name}"`);
  }
  const extensionUrn = findExtensionUrn(resourceType, found.schema);

  let filter: Filter | undefined;
  if (filterText !== undefined) {
    if (!attribute.multiValued) {
      context.fail('invalidPath', `a value filter applies only to a multi-valued attribute; "${attribute.name}" is not`);
    }
    try {
      filter = parseFilter(filterText);
    } catch {
      context.fail('invalidPath', `invalid value filter "${filterText}"`);
    }
    validateFilter(filter, attribute, context);
  }
  if (subAttribute !== undefined && attribute.multiValued && filter === undefined) {
    context.fail('invalidPath', `"${attribute.name}" is multi-valued: select elements with a value filter`);
  }
  return { extension: extensionUrn, attribute, filter, subAttribute };
}

function findClosingBracket(path: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < path.length; i++) {
    const char = path[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '[') return -1;
    else if (char === ']') return i;
  }
  return -1;
}

function validateFilter(filter: Filter, attribute: AttributeDef, context: OperationContext): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      filter.filters.forEach((inner) => validateFilter(inner, attribute, context));
      return;
    case 'not':
      validateFilter(filter.filter, attribute, context);
      return;
    case '[]':
      context.fail('invalidPath', 'value filters cannot be nested');
      return;
    default:
      if (!filterSubAttribute(attribute, filter.attrPath)) {
        context.fail('invalidPath', `unknown sub-attribute "${filter.attrPath}" in the value filter`);
      }
  }
}

/** The definition a filter's attribute path names inside an element; `value` for a simple multi-valued attribute. */
function filterSubAttribute(attribute: AttributeDef, attrPath: string): AttributeDef | undefined {
  // A fully qualified name inside the brackets ("emails.type") names the same sub-attribute.
  const lowered = attrPath.toLowerCase();
  const prefix = `${attribute.name.toLowerCase()}.`;
  const name = lowered.startsWith(prefix) ? attrPath.slice(prefix.length) : attrPath;
  if (attribute.type !== 'complex') return name.toLowerCase() === 'value' ? { ...attribute, multiValued: false } : undefined;
  return findByName(attribute.subAttributes ?? [], name);
}

// ---------------------------------------------------------------------------------------------
// add and replace

function setAt(document: Json, op: 'add' | 'replace', target: Target, value: unknown, context: OperationContext): void {
  const { attribute, subAttribute, filter } = target;
  checkWritable(attribute, context);
  if (subAttribute !== undefined) checkWritable(subAttribute, context);
  const container = containerFor(document, target);

  if (filter !== undefined) {
    setFiltered(container, op, attribute, filter, subAttribute, value, context);
  } else if (subAttribute !== undefined) {
    // attr.sub on a single-valued complex attribute.
    const current = isObject(container[attribute.name]) ? (container[attribute.name] as Json) : {};
    const next = { ...current };
    if (isEmptyValue(value)) delete next[subAttribute.name];
    else next[subAttribute.name] = coerceValue(subAttribute, value, context);
    checkImmutable(subAttribute, current[subAttribute.name], next[subAttribute.name], context);
    assign(container, attribute.name, Object.keys(next).length === 0 ? undefined : next);
  } else if (attribute.multiValued) {
    setMultiValued(container, op, attribute, value, context);
  } else {
    const current = container[attribute.name];
    let next: unknown;
    if (isEmptyValue(value)) {
      // Entra ID clears an attribute (the manager, for one) by replacing it with "" or null.
      if (attribute.required) context.fail('invalidValue', `"${attribute.name}" is required and cannot be cleared`);
      next = undefined;
    } else if (attribute.type === 'complex') {
      const incoming = coerceComplex(attribute, value, context);
      // RFC 7644 3.5.2.1/3.5.2.3: the sub-attributes given replace theirs, the others are left as they
      // were; a reference such as the manager ({value, $ref}) is one value and is replaced whole.
      next = compact(hasSubAttribute(attribute, 'value') ? incoming : { ...(isObject(current) ? current : {}), ...incoming });
      if (Object.keys(next as Json).length === 0) next = undefined;
    } else {
      next = coerceValue(attribute, value, context);
    }
    checkImmutable(attribute, current, next, context);
    assign(container, attribute.name, next);
  }
  cleanUpExtension(document, target.extension);
}

function setMultiValued(
  container: Json,
  op: 'add' | 'replace',
  attribute: AttributeDef,
  value: unknown,
  context: OperationContext,
): void {
  const current = Array.isArray(container[attribute.name]) ? (container[attribute.name] as unknown[]) : [];
  if (isEmptyValue(value) || (Array.isArray(value) && value.length === 0)) {
    if (op === 'replace') {
      checkImmutable(attribute, current.length ? current : undefined, undefined, context);
      assign(container, attribute.name, undefined);
    }
    return;
  }
  const incoming = (Array.isArray(value) ? value : [value]).map((element) =>
    coerceElement(attribute, element, context),
  );
  if (incoming.filter(isPrimary).length > 1) context.fail('invalidValue', 'at most one element may be primary');
  // RFC 7644 3.5.2.3: replace swaps the whole list; 3.5.2.1: add merges into it.
  const next = op === 'replace' ? [] : current.map((element) => (isObject(element) ? { ...element } : element));
  for (const element of incoming) {
    const existing = next.findIndex((candidate) => sameElement(attribute, candidate, element));
    let position = existing;
    if (existing >= 0) {
      // RFC 7644 3.5.2.1: an element already present is not added twice; new sub-attributes merge in.
      // The stored spelling of the matched value is kept.
      const before = next[existing];
      next[existing] =
        isObject(before) && isObject(element)
          ? compact({ ...before, ...element, ...pick(before, ['value', 'type']) })
          : before;
    } else {
      next.push(element);
      position = next.length - 1;
    }
    if (isPrimary(element)) clearOtherPrimaries(next, position);
  }
  if (op === 'add' && current.length > 0) checkImmutable(attribute, current, next, context);
  assign(container, attribute.name, next.length === 0 ? undefined : next);
}

function setFiltered(
  container: Json,
  op: 'add' | 'replace',
  attribute: AttributeDef,
  filter: Filter,
  subAttribute: AttributeDef | undefined,
  value: unknown,
  context: OperationContext,
): void {
  const current = Array.isArray(container[attribute.name]) ? (container[attribute.name] as unknown[]) : [];
  const next = current.map((element) => (isObject(element) ? { ...element } : element));
  const matches = next.flatMap((element, position) => (matchesFilter(filter, attribute, element) ? [position] : []));

  let patch: Json | undefined;
  if (subAttribute !== undefined) {
    patch = isEmptyValue(value) ? { [subAttribute.name]: undefined } : { [subAttribute.name]: coerceValue(subAttribute, value, context) };
  } else {
    if (!isObject(value)) context.fail('invalidValue', 'expected an object with the sub-attributes of the selected elements');
    patch = coerceComplex(attribute, value, context);
  }

  if (matches.length === 0) {
    if (subAttribute !== undefined && isEmptyValue(value)) return;
    // Entra ID sends replace/add on emails[type eq "work"].value for a user without a work email:
    // the element is created from the filter's equalities; without one, RFC 7644 3.5.2.3 says noTarget.
    const seed = equalitiesOf(filter, attribute, context);
    if (Object.keys(seed).length === 0) context.fail('noTarget', 'the value filter matched no element');
    const element = compact({ ...seed, ...patch });
    next.push(element);
    if (isPrimary(element)) clearOtherPrimaries(next, next.length - 1);
  } else {
    if (matches.length > 1 && isPrimary(patch)) context.fail('invalidValue', 'at most one element may be primary');
    for (const position of matches) {
      const before = next[position] as Json;
      const element: Json = { ...before };
      for (const [key, entry] of Object.entries(patch)) {
        const definition = findByName(attribute.subAttributes ?? [], key);
        if (definition) checkImmutable(definition, before[key], entry, context);
        if (entry === undefined) delete element[key];
        else element[key] = entry;
      }
      next[position] = element;
      if (isPrimary(element)) clearOtherPrimaries(next, position);
    }
  }
  const kept = next.filter((element) => !isObject(element) || Object.keys(element).length > 0);
  assign(container, attribute.name, kept.length === 0 ? undefined : kept);
}

/** The `sub eq value` terms of a filter joined by `and`: what an element created for it must hold. */
function equalitiesOf(filter: Filter, attribute: AttributeDef, context: OperationContext): Json {
  if (filter.op === 'and') {
    return Object.assign({}, ...filter.filters.map((inner) => equalitiesOf(inner, attribute, context)));
  }
  if (filter.op.toLowerCase() !== 'eq' || !('compValue' in filter) || filter.compValue === null) return {};
  const definition = filterSubAttribute(attribute, filter.attrPath);
  if (!definition || attribute.type !== 'complex') return {};
  return { [definition.name]: coerceValue(definition, filter.compValue, context) };
}

// ---------------------------------------------------------------------------------------------
// remove

function removeAt(document: Json, target: Target, value: unknown, context: OperationContext): void {
  const { attribute, subAttribute, filter } = target;
  checkWritable(attribute, context);
  if (subAttribute !== undefined) checkWritable(subAttribute, context);
  const container = containerFor(document, target);
  const current = container[attribute.name];

  if (filter !== undefined) {
    const list = Array.isArray(current) ? current : [];
    // RFC 7644 3.5.2.2 names noTarget only for a missing path: a filter matching nothing removes nothing.
    const next = list.flatMap((element) => {
      if (!matchesFilter(filter, attribute, element)) return [element];
      if (subAttribute === undefined) {
        checkRemovable(attribute, context);
        return [];
      }
      const copy = { ...(element as Json) };
      checkImmutable(subAttribute, copy[subAttribute.name], undefined, context);
      delete copy[subAttribute.name];
      return Object.keys(copy).length === 0 ? [] : [copy];
    });
    assign(container, attribute.name, next.length === 0 ? undefined : next);
  } else if (subAttribute !== undefined) {
    if (!isObject(current) || current[subAttribute.name] === undefined) return;
    checkImmutable(subAttribute, current[subAttribute.name], undefined, context);
    const copy = { ...current };
    delete copy[subAttribute.name];
    assign(container, attribute.name, Object.keys(copy).length === 0 ? undefined : copy);
  } else if (attribute.multiValued && !isEmptyValue(value) && !(Array.isArray(value) && value.length === 0)) {
    // Entra ID removes group members with {"op":"Remove","path":"members","value":[{"value":"id"}]}.
    const list = Array.isArray(current) ? current : [];
    const doomed = (Array.isArray(value) ? value : [value]).map((element) => coerceElement(attribute, element, context));
    const next = list.filter((element) => !doomed.some((gone) => sameElement(attribute, element, gone, true)));
    if (next.length !== list.length) checkRemovable(attribute, context);
    assign(container, attribute.name, next.length === 0 ? undefined : next);
  } else {
    if (current === undefined) return;
    checkRemovable(attribute, context);
    checkImmutable(attribute, current, undefined, context);
    assign(container, attribute.name, undefined);
  }
  cleanUpExtension(document, target.extension);
}

function removeExtension(document: Json, extension: string, context: OperationContext): void {
  const current = document[extension];
  if (!isObject(current)) return;
  for (const attribute of findSchema(extension)?.attributes ?? []) {
    if (current[attribute.name] !== undefined) checkWritable(attribute, context);
  }
  delete document[extension];
  cleanUpExtension(document, extension);
}

function checkRemovable(attribute: AttributeDef, context: OperationContext): void {
  if (attribute.required) context.fail('invalidValue', `"${attribute.name}" is required and cannot be removed`);
}

// ---------------------------------------------------------------------------------------------
// Values

function coerceElement(attribute: AttributeDef, element: unknown, context: OperationContext): unknown {
  if (attribute.type === 'complex') {
    // A bare string for a complex element is its value: Entra ID sends members as ids.
    if (typeof element === 'string' && hasSubAttribute(attribute, 'value')) return coerceComplex(attribute, { value: element }, context);
    if (!isObject(element)) context.fail('invalidValue', `each element of "${attribute.name}" must be an object`);
    return compact(coerceComplex(attribute, element, context));
  }
  return coerceValue({ ...attribute, multiValued: false }, element, context);
}

function coerceComplex(attribute: AttributeDef, value: unknown, context: OperationContext): Json {
  let object = value;
  // Entra ID sends the manager as a plain id string or as a one-element array [{value, $ref}].
  if (Array.isArray(object) && object.length === 1) object = object[0];
  if (typeof object === 'string' && hasSubAttribute(attribute, 'value')) object = { value: object };
  if (!isObject(object)) context.fail('invalidValue', `"${attribute.name}" expects an object`);
  const result: Json = {};
  for (const [key, entry] of Object.entries(object)) {
    const definition = findByName(attribute.subAttributes ?? [], key);
    // Unknown and readOnly sub-attributes are dropped: Okta sends members[].display, which the
    // server derives itself, and a readOnly value a client sends is ignored (RFC 7643 2.2).
    if (!definition || definition.mutability === 'readOnly') continue;
    // RFC 7644 3.5.2.3: null (and Entra ID's "") unassigns the sub-attribute; undefined marks it for removal.
    result[definition.name] = isEmptyValue(entry) ? undefined : coerceValue(definition, entry, context);
  }
  if (isManager(attribute)) {
    // The manager is stored as {value}; $ref is derived from it.
    delete result['$ref'];
  }
  return result;
}

function coerceValue(attribute: AttributeDef, value: unknown, context: OperationContext): unknown {
  const name = attribute.name;
  if (attribute.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((element) => coerceElement(attribute, element, context));
  }
  switch (attribute.type) {
    case 'complex':
      return coerceComplex(attribute, value, context);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Entra ID sends booleans as strings ("True", "False").
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      return context.fail('invalidValue', `"${name}" expects a boolean`);
    case 'integer':
    case 'decimal': {
      // Entra ID sends numbers as strings.
      const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(number)) return context.fail('invalidValue', `"${name}" expects a number`);
      if (attribute.type === 'integer' && !Number.isInteger(number)) {
        return context.fail('invalidValue', `"${name}" expects an integer`);
      }
      return number;
    }
    case 'dateTime':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
        return context.fail('invalidValue', `"${name}" expects an xsd:dateTime such as "2024-01-31T12:00:00Z"`);
      }
      return value;
    default:
      if (typeof value === 'string') return value;
      // Okta and Entra ID may send employee numbers and similar as JSON numbers.
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      return context.fail('invalidValue', `"${name}" expects a string`);
  }
}

// ---------------------------------------------------------------------------------------------
// Filters (RFC 7644 3.4.2.2), evaluated over one element with the schema's case rules

function matchesFilter(filter: Filter, attribute: AttributeDef, element: unknown): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((inner) => matchesFilter(inner, attribute, element));
    case 'or':
      return filter.filters.some((inner) => matchesFilter(inner, attribute, element));
    case 'not':
      return !matchesFilter(filter.filter, attribute, element);
    case '[]':
      return false;
    default: {
      const definition = filterSubAttribute(attribute, filter.attrPath);
      if (!definition) return false;
      const actual = attribute.type === 'complex' ? (isObject(element) ? element[definition.name] : undefined) : element;
      const op = filter.op.toLowerCase();
      if (op === 'pr') return actual !== undefined && actual !== null && actual !== '';
      if (!('compValue' in filter)) return false;
      return compare(op, definition, actual, filter.compValue);
    }
  }
}

function compare(op: string, definition: AttributeDef, actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return op === 'ne' ? expected !== null : op === 'eq' && expected === null;
  if (definition.type === 'boolean') {
    const left = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual;
    const right = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected;
    if (op === 'eq') return left === right;
    if (op === 'ne') return left !== right;
    return false;
  }
  let left: string | number;
  let right: string | number;
  if (definition.type === 'integer' || definition.type === 'decimal') {
    left = Number(actual);
    right = Number(expected);
  } else if (definition.type === 'dateTime' && (op === 'gt' || op === 'ge' || op === 'lt' || op === 'le')) {
    left = Date.parse(String(actual));
    right = Date.parse(String(expected));
  } else {
    left = String(actual);
    right = String(expected);
    if (!definition.caseExact) {
      left = left.toLowerCase();
      right = right.toLowerCase();
    }
  }
  switch (op) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'co':
      return String(left).includes(String(right));
    case 'sw':
      return String(left).startsWith(String(right));
    case 'ew':
      return String(left).endsWith(String(right));
    case 'gt':
      return left > right;
    case 'ge':
      return left >= right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * Whether two elements of a multi-valued attribute are the same value: by `value` (with its case
 * rule) and, for emails and the like, by `type` when both have one. Elements without a `value`
 * sub-attribute (addresses) are the same when every sub-attribute is equal. With `loose`, an element
 * given for removal matches on the sub-attributes it names.
 */
function sameElement(attribute: AttributeDef, left: unknown, right: unknown, loose = false): boolean {
  if (attribute.type !== 'complex') return sameScalar(attribute, left, right);
  if (!isObject(left) || !isObject(right)) return false;
  const valueDef = findByName(attribute.subAttributes ?? [], 'value');
  if (valueDef && right['value'] !== undefined) {
    if (!sameScalar(valueDef, left['value'], right['value'])) return false;
    const typeDef = findByName(attribute.subAttributes ?? [], 'type');
    if (typeDef && left['type'] !== undefined && right['type'] !== undefined) {
      return sameScalar(typeDef, left['type'], right['type']);
    }
    return true;
  }
  const keys = loose ? Object.keys(right) : [...new Set([...Object.keys(left), ...Object.keys(right)])];
  return keys
    .filter((key) => key !== 'primary')
    .every((key) => {
      const definition = findByName(attribute.subAttributes ?? [], key);
      return definition ? sameScalar(definition, left[key], right[key]) : deepEqual(left[key], right[key]);
    });
}

function sameScalar(definition: AttributeDef, left: unknown, right: unknown): boolean {
  if (typeof left === 'string' && typeof right === 'string' && !definition.caseExact) {
    return left.toLowerCase() === right.toLowerCase();
  }
  return deepEqual(left, right);
}

function isPrimary(element: unknown): boolean {
  return isObject(element) && element['primary'] === true;
}

/** RFC 7643 2.4: the primary attribute value "true" MUST appear no more than once. */
function clearOtherPrimaries(list: unknown[], keep: number): void {
  list.forEach((element, position) => {
    if (position !== keep && isPrimary(element)) {
      const copy = { ...(element as Json) };
      delete copy['primary'];
      list[position] = copy;
    }
  });
}

function checkWritable(attribute: AttributeDef, context: OperationContext): void {
  if (attribute.mutability === 'readOnly') context.fail('mutability', `"${attribute.name}" is readOnly`);
}

/** RFC 7643 2.2: an immutable attribute may be set when it has no value, never changed afterwards. */
function checkImmutable(attribute: AttributeDef, before: unknown, after: unknown, context: OperationContext): void {
  if (attribute.mutability !== 'immutable' || before === undefined || before === null) return;
  if (attribute.multiValued && Array.isArray(before) && Array.isArray(after)) {
    const kept = before.every((element) => after.some((candidate) => sameElement(attribute, candidate, element)));
    if (kept) return;
  } else if (sameScalar(attribute, before, after)) {
    return;
  }
  context.fail('mutability', `"${attribute.name}" is immutable and already has a value`);
}

function containerFor(document: Json, target: Target): Json {
  if (target.extension === undefined) return document;
  const existing = document[target.extension];
  const container = isObject(existing) ? { ...existing } : {};
  document[target.extension] = container;
  return container;
}

/** Drops an extension object left empty, and keeps `schemas` listing exactly the extensions present. */
function cleanUpExtension(document: Json, extension: string | undefined): void {
  if (extension === undefined) return;
  const container = document[extension];
  const present = isObject(container) && Object.keys(container).length > 0;
  if (!present) delete document[extension];
  const schemas = document['schemas'];
  if (!Array.isArray(schemas)) return;
  const listed = schemas.some((schema) => schema === extension);
  if (present && !listed) document['schemas'] = [...schemas, extension];
  if (!present && listed) document['schemas'] = schemas.filter((schema) => schema !== extension);
}

function compact(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function pick(object: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]]));
}

function assign(container: Json, key: string, value: unknown): void {
  if (value === undefined) delete container[key];
  else container[key] = value;
}

function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

function hasSubAttribute(attribute: AttributeDef, name: string): boolean {
  return (attribute.subAttributes ?? []).some((sub) => sub.name === name);
}

function isManager(attribute: AttributeDef): boolean {
  return attribute.name === 'manager' && attribute.type === 'complex';
}

function findByName(attributes: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((attribute) => attribute.name.toLowerCase() === wanted);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (left instanceof Date || right instanceof Date) {
    return left instanceof Date && right instanceof Date && left.getTime() === right.getTime();
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((element, position) => deepEqual(element, right[position]));
  }
  if (isObject(left) && isObject(right)) {
    const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
    const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    return leftKeys.length === rightKeys.length && leftKeys.every((key) => deepEqual(left[key], right[key]));
  }
  return false;
}
