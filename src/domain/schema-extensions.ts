/**
 * Custom schema extensions per organization (README "Custom schema extensions"): declared through
 * the side API in RFC 7643 section 7 attribute form, served on /Schemas and /ResourceTypes to that
 * organization only, and applied to its Users (scim/extensions.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Collection, Filter } from 'mongodb';
import { z } from 'zod';
import type { Store } from '../store/connection.js';
import { asDuplicateKey } from '../store/errors.js';
import type { AttributeDef, SchemaDef } from '../scim/schema-types.js';
import { ALL_SCHEMAS } from '../scim/schemas.js';
import type { ExtensionDef } from '../scim/extensions.js';
import { ScimError, notFound } from '../scim/errors.js';
import type { Clock } from './context.js';

export const MAX_EXTENSIONS_PER_ORG = 20;
export const MAX_ATTRIBUTES = 100;

interface ExtensionRecord {
  _id: string;
  orgId: string;
  key: string;
  urn: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
  created: Date;
  lastModified: Date;
  version: number;
}

/** RFC 7643 2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA. */
const ATTRNAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** RFC 8141 URN shape, as the RFC 7643 schema URIs use it. */
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/]+$/;

const simpleTypes = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary'] as const;

const characteristics = {
  name: z.string().regex(ATTRNAME, 'must be an RFC 7643 attribute name: a letter, then letters, digits, "-" or "_"'),
  description: z.string().max(1000).optional(),
  multiValued: z.boolean().optional(),
  required: z.boolean().optional(),
  caseExact: z.boolean().optional(),
  mutability: z.enum(['readOnly', 'readWrite', 'immutable', 'writeOnly']).optional(),
  returned: z.enum(['always', 'never', 'default', 'request']).optional(),
  uniqueness: z.enum(['none', 'server', 'global']).optional(),
  canonicalValues: z.array(z.string().max(256)).max(100).optional(),
  referenceTypes: z.array(z.string().max(64)).max(10).optional(),
};
const subAttributeInput = z.object({ ...characteristics, type: z.enum(simpleTypes) }).strict();
const attributeInput = z
  .object({ ...characteristics, type: z.enum([...simpleTypes, 'complex']), subAttributes: z.array(subAttributeInput).max(50).optional() })
  .strict();

export const extensionInput = z
  .object({
    id: z.string().max(200).regex(URN, 'must be a URN, e.g. urn:ietf:params:scim:schemas:extension:contoso:2.0:User'),
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(1000).optional(),
    attributes: z.array(attributeInput).min(1).max(MAX_ATTRIBUTES),
  })
  .strict();
export type ExtensionInput = z.infer<typeof extensionInput>;

const invalid = (detail: string) => new ScimError(400, detail, 'invalidValue');
const incompatible = (detail: string) => new ScimError(409, detail);

/** RFC 7643 2.2 defaults, and what Roster serves of section 7 (each refusal says why). */
function normalize(input: z.infer<typeof attributeInput> | z.infer<typeof subAttributeInput>, path: string): AttributeDef {
  const def: AttributeDef = {
    name: input.name,
    type: input.type,
    multiValued: input.multiValued ?? false,
    description: input.description ?? '',
    required: input.required ?? false,
    caseExact: input.caseExact ?? false,
    mutability: input.mutability ?? 'readWrite',
    returned: input.returned ?? (input.mutability === 'writeOnly' ? 'never' : 'default'),
    uniqueness: input.uniqueness ?? 'none',
  };
  if (input.canonicalValues) def.canonicalValues = input.canonicalValues;
  if (input.type === 'reference') def.referenceTypes = input.referenceTypes ?? ['external'];
  else if (input.referenceTypes) throw invalid(`${path}: referenceTypes applies to type "reference" only`);
  if (def.uniqueness !== 'none') {
    throw invalid(`${path}: uniqueness "${def.uniqueness}" is not enforced by Roster for extension attributes; declare "none"`);
  }
  if (def.mutability === 'readOnly') {
    throw invalid(`${path}: a readOnly extension attribute could never be written (Roster computes no extension values); use readWrite or immutable`);
  }
  // RFC 7643 7: a writeOnly attribute is returned "never".
  if (def.mutability === 'writeOnly' && def.returned !== 'never') throw invalid(`${path}: a writeOnly attribute must be returned "never"`);
  if (def.type === 'boolean' && input.caseExact !== undefined) throw invalid(`${path}: caseExact applies to strings only`);
  if ('subAttributes' in input && input.subAttributes) {
    if (def.type !== 'complex') throw invalid(`${path}: subAttributes apply to type "complex" only`);
  }
  if (def.type === 'complex') {
    const subs = ('subAttributes' in input ? input.subAttributes : undefined) ?? [];
    if (subs.length === 0) throw invalid(`${path}: a complex attribute needs subAttributes`);
    // Value filters on multi-valued complex attributes need per-position shadow keys that custom
    // extensions do not have; Entra ID sends custom attributes as single values only.
    if (def.multiValued) throw invalid(`${path}: a multi-valued complex extension attribute is not supported; use single-valued ones`);
    def.subAttributes = subs.map((s, i) => normalize(s, `${path}.subAttributes[${i}]`));
    uniqueNames(def.subAttributes, `${path}.subAttributes`);
  }
  return def;
}

function uniqueNames(attributes: AttributeDef[], path: string): void {
  const seen = new Set<string>();
  for (const a of attributes) {
    const lower = a.name.toLowerCase();
    if (seen.has(lower)) throw invalid(`${path}: the attribute name "${a.name}" appears twice (names are case-insensitive)`);
    seen.add(lower);
  }
}

function toSchema(input: ExtensionInput): { urn: string; name: string; description: string; attributes: AttributeDef[] } {
  const attributes = input.attributes.map((a, i) => normalize(a, `attributes[${i}]`));
  uniqueNames(attributes, 'attributes');
  const lastPart = input.id.split(':').filter(Boolean).slice(-2).join(' ');
  return { urn: input.id, name: input.name ?? lastPart, description: input.description ?? '', attributes };
}

/**
 * Compatible changes only, because stored values must stay valid and findable: adding attributes
 * or sub-attributes (not required: existing users lack them); changing name and descriptions;
 * adding canonicalValues; relaxing required to false; changing `returned` between always, default
 * and request. Anything else (removing or renaming an attribute, changing type, multiValued,
 * caseExact, mutability or uniqueness, making one required) is refused with 409 naming it.
 */
function checkCompatible(before: AttributeDef[], after: AttributeDef[], path: string): void {
  const problems: string[] = [];
  const compare = (old: AttributeDef[], next: AttributeDef[], at: string) => {
    for (const o of old) {
      const n = next.find((x) => x.name.toLowerCase() === o.name.toLowerCase());
      if (!n) {
        problems.push(`${at}${o.name} was removed (or renamed)`);
        continue;
      }
      for (const field of ['type', 'multiValued', 'caseExact', 'mutability', 'uniqueness'] as const) {
        if (o[field] !== n[field]) problems.push(`${at}${o.name}.${field} changed from ${String(o[field])} to ${String(n[field])}`);
      }
      if (!o.required && n.required) problems.push(`${at}${o.name} became required`);
      if (o.returned !== n.returned && (o.returned === 'never' || n.returned === 'never')) {
        problems.push(`${at}${o.name}.returned changed from ${o.returned} to ${n.returned}`);
      }
      const lost = (o.canonicalValues ?? []).filter((v) => !(n.canonicalValues ?? []).includes(v));
      if (lost.length) problems.push(`${at}${o.name}.canonicalValues lost ${lost.join(', ')}`);
      if (o.subAttributes) compare(o.subAttributes, n.subAttributes ?? [], `${at}${o.name}.`);
    }
    for (const n of next) {
      if (n.required && !old.some((o) => o.name.toLowerCase() === n.name.toLowerCase())) {
        problems.push(`${at}${n.name} is new and required, which users stored before cannot satisfy`);
      }
    }
  };
  compare(before, after, path);
  if (problems.length) throw incompatible(`incompatible change to the schema extension: ${problems.join('; ')}`);
}

export interface ExtensionView {
  id: string;
  name: string;
  description: string;
  resourceType: 'User';
  attributes: AttributeDef[];
  meta: { created: string; lastModified: string; version: number };
}

function view(record: ExtensionRecord): ExtensionView {
  return {
    id: record.urn,
    name: record.name,
    description: record.description,
    resourceType: 'User',
    attributes: record.attributes,
    meta: { created: record.created.toISOString(), lastModified: record.lastModified.toISOString(), version: record.version },
  };
}

function toDef(record: ExtensionRecord): ExtensionDef {
  const schema: SchemaDef = { id: record.urn, name: record.name, description: record.description, attributes: record.attributes };
  return { key: record.key, schema };
}

const CACHE_MS = 2000;

export class SchemaExtensionService {
  private readonly extensions: Collection<ExtensionRecord>;
  /** Per organization, read at most every CACHE_MS on the SCIM path; this process's writes clear it. */
  private readonly cache = new Map<string, { at: number; defs: ExtensionDef[] }>();

  constructor(store: Store, private readonly clock: Clock) {
    this.extensions = store.models.SchemaExtension.collection as unknown as Collection<ExtensionRecord>;
  }

  private async records(orgId: string): Promise<ExtensionRecord[]> {
    return this.extensions.find({ orgId } as Filter<ExtensionRecord>).sort({ created: 1, _id: 1 }).limit(MAX_EXTENSIONS_PER_ORG + 1).toArray();
  }

  /** The organization's extensions as the SCIM layer applies them. */
  async forOrg(orgId: string): Promise<ExtensionDef[]> {
    const now = Date.now();
    const hit = this.cache.get(orgId);
    if (hit && now - hit.at < CACHE_MS) return hit.defs;
    const defs = (await this.records(orgId)).map(toDef);
    this.cache.set(orgId, { at: now, defs });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return defs;
  }

  async list(orgId: string): Promise<ExtensionView[]> {
    return (await this.records(orgId)).map(view);
  }

  async get(orgId: string, urn: string): Promise<ExtensionView> {
    const record = await this.extensions.findOne({ _id: idOf(orgId, urn) } as Filter<ExtensionRecord>);
    if (!record || record.orgId !== orgId) throw notFound(`no schema extension ${urn} in this organization`);
    return view(record);
  }

  async create(orgId: string, body: unknown): Promise<ExtensionView> {
    const input = extensionInput.parse(body ?? {});
    const schema = toSchema(input);
    const lower = schema.urn.toLowerCase();
    if (ALL_SCHEMAS.some((s) => s.id.toLowerCase() === lower) || lower.startsWith('urn:ietf:params:scim:schemas:core:')) {
      throw invalid(`${schema.urn} is a schema Roster defines; choose your own URN`);
    }
    if (lower.startsWith('urn:ietf:params:scim:api:')) throw invalid(`${schema.urn} is an RFC 7644 message URN`);
    const existing = await this.records(orgId);
    if (existing.length >= MAX_EXTENSIONS_PER_ORG) throw invalid(`an organization declares at most ${MAX_EXTENSIONS_PER_ORG} schema extensions`);
    // Attribute paths are "<URN>:<attribute>", so no URN may begin another one followed by ":".
    for (const other of [...existing.map((e) => e.urn), ...ALL_SCHEMAS.map((s) => s.id)]) {
      const o = other.toLowerCase();
      if (o !== lower && (o.startsWith(`${lower}:`) || lower.startsWith(`${o}:`))) {
        throw invalid(`${schema.urn} and ${other} would make attribute paths ambiguous (one URN begins the other)`);
      }
    }
    const now = this.clock.now();
    const record: ExtensionRecord = {
      _id: idOf(orgId, schema.urn),
      orgId,
      key: `x${randomBytes(5).toString('hex')}`,
      ...schema,
      created: now,
      lastModified: now,
      version: 1,
    };
    try {
      await this.extensions.insertOne(record);
    } catch (err) {
      if (asDuplicateKey(err)) throw new ScimError(409, `the schema extension ${schema.urn} is already declared; change it with PUT`, 'uniqueness');
      throw err;
    }
    this.cache.delete(orgId);
    return view(record);
  }

  async update(orgId: string, urn: string, body: unknown): Promise<{ before: ExtensionView; after: ExtensionView }> {
    const input = extensionInput.parse(body ?? {});
    if (input.id.toLowerCase() !== urn.toLowerCase()) throw invalid(`"id" must be ${urn}: a URN is never renamed`);
    const current = await this.extensions.findOne({ _id: idOf(orgId, urn) } as Filter<ExtensionRecord>);
    if (!current || current.orgId !== orgId) throw notFound(`no schema extension ${urn} in this organization`);
    const schema = toSchema(input);
    checkCompatible(current.attributes, schema.attributes, '');
    // Names keep their stored spelling: values are stored under them.
    const attributes = schema.attributes.map((a) => {
      const old = current.attributes.find((o) => o.name.toLowerCase() === a.name.toLowerCase());
      if (!old) return a;
      const subAttributes = a.subAttributes?.map((s) => ({ ...s, name: old.subAttributes?.find((o) => o.name.toLowerCase() === s.name.toLowerCase())?.name ?? s.name }));
      return { ...a, name: old.name, ...(subAttributes ? { subAttributes } : {}) };
    });
    const next: ExtensionRecord = {
      ...current,
      name: schema.name,
      description: schema.description,
      attributes,
      lastModified: this.clock.now(),
      version: current.version + 1,
    };
    const result = await this.extensions.replaceOne({ _id: current._id, version: current.version } as Filter<ExtensionRecord>, next);
    if (result.matchedCount !== 1) throw new ScimError(409, `the schema extension ${urn} changed meanwhile; read it and try again`);
    this.cache.delete(orgId);
    return { before: view(current), after: view(next) };
  }
}

function idOf(orgId: string, urn: string): string {
  return `${orgId}:${urn.toLowerCase()}`;
}
