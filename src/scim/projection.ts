/**
 * RFC 7644 3.4.2.5 and 3.9: the attributes and excludedAttributes parameters, applied to a SCIM
 * resource together with each attribute's `returned` characteristic (RFC 7643 2.2).
 */
import { badRequest } from './errors.js';
import type { AttributeDef } from './schema-types.js';
import { COMMON_ATTRIBUTES, findAttribute, findExtensionUrn, listResourceSchemas } from './schemas.js';
import type { ScimResourceType } from './schemas.js';

export interface ProjectionOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

/**
 * Splits an attributes or excludedAttributes value: a comma-separated string from a query string
 * (RFC 7644 3.4.2.5) or an array from a POST .search body (RFC 7644 3.4.3). Absent or blank gives
 * undefined.
 */
export function parseAttributeList(value: unknown, parameter = 'attributes'): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let items: string[];
  if (typeof value === 'string') {
    items = [value];
  } else if (Array.isArray(value)) {
    items = value.map((item, index) => {
      if (typeof item !== 'string') {
        throw badRequest('invalidValue', `${parameter}[${index}]: expected a string, got ${describeType(item)}`);
      }
      return item;
    });
  } else {
    throw badRequest(
      'invalidValue',
      `${parameter}: expected a comma-separated string or an array of strings, got ${describeType(value)}`,
    );
  }
  // Express turns ?attributes=a&attributes=b into an array, and each item may itself hold commas.
  const paths = items
    .flatMap((item) => item.split(','))
    .map((path) => path.trim())
    .filter((path) => path !== '');
  return paths.length > 0 ? paths : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** What a list of paths names: whole attributes, single sub-attributes, whole extensions. */
interface Selection {
  whole: Set<string>;
  sub: Map<string, Set<string>>;
  extensions: Set<string>;
}

function attributeKey(schema: string, attribute: string): string {
  return `${schema.toLowerCase()}|${attribute.toLowerCase()}`;
}

function buildSelection(resourceType: ScimResourceType, paths: string[]): Selection {
  const selection: Selection = { whole: new Set(), sub: new Map(), extensions: new Set() };
  for (const path of paths) {
    const extension = findExtensionUrn(resourceType, path);
    if (extension) {
      selection.extensions.add(extension.toLowerCase());
      continue;
    }
    // RFC 7644 3.9 gives no error for unknown names, and clients send them; they select nothing.
    const lookup = findAttribute(resourceType, path);
    if (!lookup) continue;
    const key = attributeKey(lookup.schema, lookup.attribute.name);
    if (!lookup.subAttribute) {
      selection.whole.add(key);
      continue;
    }
    const subs = selection.sub.get(key) ?? new Set<string>();
    subs.add(lookup.subAttribute.name.toLowerCase());
    selection.sub.set(key, subs);
  }
  return selection;
}

interface Mode {
  attributes?: Selection;
  excluded?: Selection;
}

function buildMode(resourceType: ScimResourceType, opts: ProjectionOptions): Mode {
  const mode: Mode = {};
  if (opts.attributes && opts.attributes.length > 0) mode.attributes = buildSelection(resourceType, opts.attributes);
  if (opts.excludedAttributes && opts.excludedAttributes.length > 0) {
    mode.excluded = buildSelection(resourceType, opts.excludedAttributes);
  }
  return mode;
}

/** Lower-cased names of the sub-attributes to keep, or 'all'. Undefined drops the attribute. */
type SubDecision = 'all' | Set<string> | undefined;

function decideAttribute(schema: string, attribute: AttributeDef, mode: Mode): SubDecision {
  if (attribute.returned === 'never') return undefined;
  if (attribute.returned === 'always') return 'all';

  const key = attributeKey(schema, attribute.name);
  const extensionNamed = (selection: Selection): boolean => selection.extensions.has(schema.toLowerCase());

  let decision: SubDecision;
  if (mode.attributes) {
    const selection = mode.attributes;
    if (selection.whole.has(key) || (extensionNamed(selection) && attribute.returned === 'default')) {
      decision = 'all';
    } else {
      decision = selection.sub.get(key);
    }
  } else {
    // RFC 7643 2.2: "request" attributes only appear when the attributes parameter names them.
    decision = attribute.returned === 'default' ? 'all' : undefined;
  }
  if (decision === undefined || !mode.excluded) return decision;

  const excluded = mode.excluded;
  if (excluded.whole.has(key) || extensionNamed(excluded)) return undefined;
  const excludedSubs = excluded.sub.get(key);
  if (!excludedSubs) return decision;
  const kept = (attribute.subAttributes ?? [])
    .map((sub) => sub.name.toLowerCase())
    .filter((name) => (decision === 'all' || decision.has(name)) && !excludedSubs.has(name));
  return new Set(kept);
}

function projectComplexValue(
  value: Record<string, unknown>,
  attribute: AttributeDef,
  decision: 'all' | Set<string>,
): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const [key, subValue] of Object.entries(value)) {
    const sub = attribute.subAttributes?.find((candidate) => candidate.name.toLowerCase() === key.toLowerCase());
    if (sub?.returned === 'never') continue;
    const always = sub?.returned === 'always';
    if (decision !== 'all' && !always && !decision.has(key.toLowerCase())) continue;
    // A "request" sub-attribute needs its own name, not only its parent's.
    if (decision === 'all' && sub?.returned === 'request') continue;
    projected[key] = subValue;
  }
  return projected;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The projected value, or undefined when nothing of it is left to return. */
function projectValue(value: unknown, attribute: AttributeDef, decision: 'all' | Set<string>): unknown {
  if (attribute.type !== 'complex') return value;
  if (Array.isArray(value)) {
    const items = value
      .map((item) => (isPlainObject(item) ? projectComplexValue(item, attribute, decision) : item))
      .filter((item) => !isPlainObject(item) || Object.keys(item).length > 0);
    return items.length > 0 || decision === 'all' ? items : undefined;
  }
  if (isPlainObject(value)) {
    const projected = projectComplexValue(value, attribute, decision);
    return Object.keys(projected).length > 0 || decision === 'all' ? projected : undefined;
  }
  return value;
}

function findDefinition(attributes: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((attribute) => attribute.name.toLowerCase() === wanted);
}

/** Attributes the schemas do not know are treated as returned "default" and simple. */
function defineUnknown(name: string): AttributeDef {
  return {
    name,
    type: 'string',
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readOnly',
    returned: 'default',
    uniqueness: 'none',
  };
}

function projectObject(
  source: Record<string, unknown>,
  schema: string,
  definitions: AttributeDef[],
  mode: Mode,
): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const attribute = findDefinition(definitions, key) ?? defineUnknown(key);
    const decision = decideAttribute(schema, attribute, mode);
    if (decision === undefined) continue;
    const kept = projectValue(value, attribute, decision);
    if (kept !== undefined) projected[key] = kept;
  }
  return projected;
}

/**
 * Applies attributes/excludedAttributes (RFC 7644 3.4.2.5, 3.9) and each attribute's `returned`
 * characteristic to a resource. Extension attributes live under their schema URN. Paths are
 * case-insensitive; unknown paths are ignored.
 */
export function projectResource(
  resource: Record<string, unknown>,
  resourceType: ScimResourceType,
  opts: ProjectionOptions,
): Record<string, unknown> {
  const mode = buildMode(resourceType, opts);
  const [core, ...extensions] = listResourceSchemas(resourceType);
  if (!core) return { ...resource };
  const coreDefinitions = [...core.attributes, ...COMMON_ATTRIBUTES];

  const coreSource: Record<string, unknown> = {};
  const projectedExtensions = new Map<string, Record<string, unknown>>();
  const presentExtensions: string[] = [];
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') continue;
    const extension = extensions.find((schema) => schema.id.toLowerCase() === key.toLowerCase());
    if (!extension) {
      coreSource[key] = value;
      continue;
    }
    if (!isPlainObject(value)) continue;
    const projectedExtension = projectObject(value, extension.id, extension.attributes, mode);
    // An extension with nothing left in it is dropped, and its URN with it from schemas.
    if (Object.keys(projectedExtension).length === 0) continue;
    projectedExtensions.set(key, projectedExtension);
    presentExtensions.push(extension.id);
  }
  const projectedCore = projectObject(coreSource, core.id, coreDefinitions, mode);

  // Keep the resource's own key order.
  const projected: Record<string, unknown> = {};
  for (const key of Object.keys(resource)) {
    if (key in projectedCore) projected[key] = projectedCore[key];
    else if (projectedExtensions.has(key)) projected[key] = projectedExtensions.get(key);
  }

  // RFC 7643 3: schemas is always returned and lists the schemas the returned resource uses.
  const declared = Array.isArray(resource.schemas)
    ? resource.schemas.filter((urn): urn is string => typeof urn === 'string')
    : [core.id];
  const isExtensionUrn = (urn: string): boolean =>
    extensions.some((schema) => schema.id.toLowerCase() === urn.toLowerCase());
  const kept = declared.filter(
    (urn) => !isExtensionUrn(urn) || presentExtensions.some((id) => id.toLowerCase() === urn.toLowerCase()),
  );
  for (const id of presentExtensions) {
    if (!kept.some((urn) => urn.toLowerCase() === id.toLowerCase())) kept.push(id);
  }
  if (!kept.some((urn) => urn.toLowerCase() === core.id.toLowerCase())) kept.unshift(core.id);

  return { schemas: kept, ...projected };
}

/**
 * Whether a projection would return any part of this top-level attribute, so that callers can skip
 * loading it: Entra ID reads groups with excludedAttributes=members, and groups may be huge.
 */
export function isAttributeReturned(resourceType: ScimResourceType, path: string, opts: ProjectionOptions): boolean {
  const lookup = findAttribute(resourceType, path);
  if (!lookup) return false;
  return decideAttribute(lookup.schema, lookup.attribute, buildMode(resourceType, opts)) !== undefined;
}
