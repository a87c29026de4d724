/**
 * Custom schema extensions an organization declares (README "Custom schema extensions"): RFC 7643
 * section 7 schemas extending the User resource type. The SCIM layer reads the calling
 * organization's extensions from an AsyncLocalStorage set per request (http/scim/extensions.ts), so
 * discovery, filters, PATCH paths, projection and the User mapper all see the same set without
 * threading it through every call.
 *
 * Values are stored under `ext.<key>.<attribute>` (key: a plain id given at declaration, since a URN
 * holds dots), lower-cased copies of case-insensitive strings under `ciExt.<key>.<attribute>`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeDef, SchemaDef } from './schema-types.js';
import { badRequest } from './errors.js';

export interface ExtensionDef {
  /** Storage key: plain (no `.` or `$`), unique in the organization. */
  key: string;
  schema: SchemaDef;
}

const context = new AsyncLocalStorage<ExtensionDef[]>();

/** Runs `fn` with these extensions as the current organization's. */
export function runWithExtensions<T>(extensions: ExtensionDef[], fn: () => T): T {
  return context.run(extensions, fn);
}

/** The calling organization's extensions; none outside a SCIM request. */
export function currentExtensions(): ExtensionDef[] {
  return context.getStore() ?? [];
}

/** The extension with this URN (any letter case) among the current ones. */
export function currentExtension(urn: string): ExtensionDef | undefined {
  const wanted = urn.toLowerCase();
  return currentExtensions().find((e) => e.schema.id.toLowerCase() === wanted);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One simple value of an attribute, as stored; undefined for null/"" (cleared). */
function simpleValue(def: AttributeDef, raw: unknown, path: string): unknown {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const fail = (what: string) => badRequest('invalidValue', `attribute "${path}" must be ${what}`);
  switch (def.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      // Entra ID sends booleans as "True"/"False".
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
      throw fail('a boolean');
    }
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw fail('an integer');
      return n;
    }
    case 'decimal': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw fail('a decimal number');
      return n;
    }
    case 'dateTime': {
      if (typeof raw !== 'string' || !RFC3339.test(raw) || Number.isNaN(Date.parse(raw))) throw fail('an RFC 3339 date-time');
      return new Date(raw);
    }
    case 'binary':
      if (typeof raw !== 'string' || !BASE64.test(raw)) throw fail('base64 text');
      return raw;
    default:
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      if (typeof raw !== 'string') throw fail('a string');
      if (raw.length > 2048) throw fail('at most 2048 characters');
      return raw;
  }
}

function findDef(attributes: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === wanted);
}

const MAX_VALUES = 10;

function attributeValue(def: AttributeDef, raw: unknown, path: string): unknown {
  if (def.multiValued) {
    if (raw === null || raw === undefined) return undefined;
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length > MAX_VALUES) throw badRequest('invalidValue', `attribute "${path}" has ${list.length} values; at most ${MAX_VALUES} are allowed`);
    const values = list.map((v, i) => singleValue(def, v, `${path}[${i}]`)).filter((v) => v !== undefined);
    return values.length ? values : undefined;
  }
  if (Array.isArray(raw)) throw badRequest('invalidValue', `attribute "${path}" is single-valued`);
  return singleValue(def, raw, path);
}

function singleValue(def: AttributeDef, raw: unknown, path: string): unknown {
  if (def.type !== 'complex') return simpleValue(def, raw, path);
  if (raw === null || raw === undefined) return undefined;
  if (!isObject(raw)) throw badRequest('invalidValue', `attribute "${path}" must be an object`);
  const out: Json = {};
  for (const [name, value] of Object.entries(raw)) {
    const sub = findDef(def.subAttributes ?? [], name);
    if (!sub) throw badRequest('invalidValue', `attribute "${path}.${name}" is not defined by its schema`);
    const v = simpleValue(sub, value, `${path}.${sub.name}`);
    if (v !== undefined) out[sub.name] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The stored values of one extension from what the client sent under its URN (an object, and/or
 * Entra ID's flattened `<URN>:<attribute>` keys). Every attribute must be defined; required ones
 * present (RFC 7643 2.2); readOnly ones are ignored (RFC 7644 3.3).
 */
export function parseExtensionObject(extension: ExtensionDef, values: Json): Json | undefined {
  const out: Json = {};
  const urn = extension.schema.id;
  for (const [name, raw] of Object.entries(values)) {
    const def = findDef(extension.schema.attributes, name);
    if (!def) throw badRequest('invalidValue', `attribute "${urn}:${name}" is not defined by the schema ${urn}`);
    if (def.mutability === 'readOnly') continue;
    const v = attributeValue(def, raw, `${urn}:${def.name}`);
    if (v !== undefined) out[def.name] = v;
  }
  for (const def of extension.schema.attributes) {
    if (def.required && out[def.name] === undefined) {
      throw badRequest('invalidValue', `attribute "${urn}:${def.name}" is required`);
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** The lower-cased shadow copies of the caseExact=false strings of one extension's values. */
export function extensionCaseKeys(extension: ExtensionDef, values: Json): Json | undefined {
  const out: Json = {};
  const lower = (def: AttributeDef, v: unknown) =>
    !def.caseExact && (def.type === 'string' || def.type === 'reference') && typeof v === 'string' ? v.toLowerCase() : undefined;
  for (const def of extension.schema.attributes) {
    const value = values[def.name];
    if (value === undefined) continue;
    if (def.type === 'complex' && isObject(value)) {
      const sub: Json = {};
      for (const s of def.subAttributes ?? []) {
        const l = lower(s, value[s.name]);
        if (l !== undefined) sub[s.name] = l;
      }
      if (Object.keys(sub).length) out[def.name] = sub;
    } else if (Array.isArray(value)) {
      if (lower(def, value[0]) !== undefined) out[def.name] = value.map((v) => lower(def, v) ?? '');
    } else {
      const l = lower(def, value);
      if (l !== undefined) out[def.name] = l;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** Stored values as the SCIM representation shows them (dateTimes as RFC 3339 text). */
export function extensionToScim(values: Json): Json {
  const out: Json = {};
  const show = (v: unknown): unknown =>
    v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.map(show) : isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)])) : v;
  for (const [k, v] of Object.entries(values)) out[k] = show(v);
  return out;
}
