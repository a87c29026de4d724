/**
 * The allowlist of filterable and sortable SCIM attributes (docs/architecture.md "Filters"):
 * each SCIM path maps to the stored field of docs/architecture.md and its case
 * rule. A path that is not here is an unknown attribute, never a silent scan.
 */
import { SCHEMA_URN, type AttributeType } from './schema-types.js';
import { currentExtensions, type ExtensionDef } from './extensions.js';

export type FilterResourceType = 'User' | 'Group';

export interface FieldDef {
  /** The canonical SCIM path, URN-qualified for extension attributes. */
  scimPath: string;
  type: AttributeType;
  caseExact: boolean;
  /** Stored dotted path. */
  field: string;
  /** Lower-cased shadow field (dotted path) for case-insensitive eq, sw, ordering and sorting. */
  keyField?: string;
  multiValued?: boolean;
  /** For sub-attributes of multi-valued complex attributes: the stored array, e.g. 'emails'. */
  arrayField?: string;
  /** For sub-attributes of multi-valued complex attributes: the field inside each element. */
  subField?: string;
  sortable: boolean;
  /** The attribute has this value on every resource and is not stored (meta.resourceType). */
  constant?: string;
}

export type FieldMap = Readonly<Record<string, FieldDef>>;

/** What a value path such as `emails[type eq "work"]` filters over. */
export interface ValuePathDef {
  /** Lower-cased canonical name, the prefix of its sub-attributes' keys in the field map. */
  name: string;
  /** The stored array of complex elements; undefined for arrays of plain ids (groups, members). */
  arrayField?: string;
}

const ENTERPRISE = SCHEMA_URN.enterpriseUser.toLowerCase();
const ROSTER = SCHEMA_URN.rosterUser.toLowerCase();

type Options = Partial<Pick<FieldDef, 'keyField' | 'sortable' | 'caseExact'>> & {
  /** The shadow key is in the parallel array `ci.<arrayField>` (store/case-keys.ts). */
  ciKey?: boolean;
};

function single(scimPath: string, field: string, type: AttributeType, opts: Options = {}): FieldDef {
  const def: FieldDef = {
    scimPath,
    type,
    caseExact: opts.caseExact ?? (type !== 'string' && type !== 'reference'),
    field,
    sortable: opts.sortable ?? true,
  };
  if (opts.keyField !== undefined) def.keyField = opts.keyField;
  return def;
}

function element(
  scimPath: string,
  arrayField: string,
  subField: string,
  type: AttributeType,
  opts: Options = {},
): FieldDef {
  const def: FieldDef = {
    scimPath,
    type,
    caseExact: opts.caseExact ?? (type !== 'string' && type !== 'reference'),
    field: `${arrayField}.${subField}`,
    multiValued: true,
    arrayField,
    subField,
    // RFC 7644 3.4.2.3 sorts a multi-valued attribute by its primary value, which a
    // MongoDB sort over an array (it takes the smallest element) cannot express.
    sortable: false,
  };
  if (opts.keyField !== undefined) def.keyField = `${arrayField}.${opts.keyField}`;
  else if (opts.ciKey && !def.caseExact) def.keyField = `ci.${arrayField}.${subField}`;
  return def;
}

function idArray(scimPath: string, field: string): FieldDef {
  return { scimPath, type: 'string', caseExact: true, field, multiValued: true, sortable: false };
}

function addMultiValued(
  map: Record<string, FieldDef>,
  name: string,
  subs: Record<string, AttributeType>,
  opts: Record<string, Options> = {},
): void {
  for (const [sub, type] of Object.entries(subs)) {
    map[`${name}.${sub}`.toLowerCase()] = element(`${name}.${sub}`, name, sub, type, opts[sub]);
  }
  // RFC 7644 3.4.2.2: a multi-valued attribute named without a sub-attribute, as in
  // `emails co "example.com"`, filters on its "value".
  const value = map[`${name}.value`.toLowerCase()];
  if (value) map[name.toLowerCase()] = value;
}

const plainMulti = { value: 'string', type: 'string', primary: 'boolean', display: 'string' } as const;
/** Every case-insensitive sub-attribute has a lower-cased shadow key (store/case-keys.ts). */
const ci = { value: { ciKey: true }, type: { ciKey: true }, display: { ciKey: true } } as const;
const ciSingle = (name: string): Options => ({ keyField: `ci.${name}` });

function buildUserFields(): FieldMap {
  const m: Record<string, FieldDef> = {
    id: single('id', '_id', 'string', { caseExact: true }),
    externalid: single('externalId', 'externalId', 'string', { caseExact: true }),
    username: single('userName', 'userName', 'string', { keyField: 'userNameKey' }),
    displayname: single('displayName', 'displayName', 'string', { keyField: 'displayNameKey' }),
    nickname: single('nickName', 'nickName', 'string', ciSingle('nickName')),
    title: single('title', 'title', 'string', ciSingle('title')),
    usertype: single('userType', 'userType', 'string', ciSingle('userType')),
    preferredlanguage: single('preferredLanguage', 'preferredLanguage', 'string', ciSingle('preferredLanguage')),
    locale: single('locale', 'locale', 'string', ciSingle('locale')),
    timezone: single('timezone', 'timezone', 'string', ciSingle('timezone')),
    profileurl: single('profileUrl', 'profileUrl', 'reference', ciSingle('profileUrl')),
    active: single('active', 'active', 'boolean'),
    ...metaFields('User'),
  };
  for (const sub of ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix']) {
    m[`name.${sub}`.toLowerCase()] = single(`name.${sub}`, `name.${sub}`, 'string', ciSingle(`name.${sub}`));
  }
  addMultiValued(m, 'emails', plainMulti, { ...ci, value: { keyField: 'valueKey' } });
  addMultiValued(m, 'phoneNumbers', plainMulti, ci);
  addMultiValued(m, 'ims', plainMulti, ci);
  addMultiValued(m, 'photos', { ...plainMulti, value: 'reference' }, ci);
  addMultiValued(m, 'entitlements', plainMulti, ci);
  addMultiValued(m, 'roles', plainMulti, ci);
  addMultiValued(m, 'x509Certificates', { value: 'binary' });
  const addressParts = ['type', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'formatted'];
  addMultiValued(
    m,
    'addresses',
    { ...Object.fromEntries(addressParts.map((p) => [p, 'string' as const])), primary: 'boolean' },
    Object.fromEntries(addressParts.map((p) => [p, { ciKey: true }])),
  );
  // A placeholder field like members.value on Groups: resolved through the memberships
  // collection (src/domain/groups/membership-filter.ts); users hold no group array.
  m['groups.value'] = idArray('groups.value', 'groupIds');
  m.groups = m['groups.value'];

  const ent = (attr: string): string => `${SCHEMA_URN.enterpriseUser}:${attr}`;
  for (const attr of ['employeeNumber', 'costCenter', 'organization', 'division', 'department']) {
    m[ent(attr).toLowerCase()] = single(ent(attr), `enterprise.${attr}`, 'string', ciSingle(`enterprise.${attr}`));
  }
  // Entra ID sends the manager as `...:enterprise:2.0:User:manager`, meaning manager.value.
  m[ent('manager.value').toLowerCase()] = single(ent('manager.value'), 'enterprise.manager.value', 'string', {
    caseExact: true,
  });
  m[ent('manager').toLowerCase()] = m[ent('manager.value').toLowerCase()]!;
  m[ent('manager.displayName').toLowerCase()] = single(
    ent('manager.displayName'),
    'enterprise.manager.displayName',
    'string',
    ciSingle('enterprise.manager.displayName'),
  );

  const ros = (attr: string): string => `${SCHEMA_URN.rosterUser}:${attr}`;
  // Stored lower-case already, so the field is its own shadow key.
  m[ros('status').toLowerCase()] = single(ros('status'), 'status', 'string', { keyField: 'status' });
  m[ros('invitedAt').toLowerCase()] = single(ros('invitedAt'), 'invitedAt', 'dateTime');
  m[ros('onboardedAt').toLowerCase()] = single(ros('onboardedAt'), 'onboardedAt', 'dateTime');
  return Object.freeze(m);
}

/** meta.created, meta.lastModified and meta.resourceType, the same on every resource. */
function metaFields(resourceType: 'User' | 'Group'): Record<string, FieldDef> {
  return {
    'meta.created': single('meta.created', 'created', 'dateTime'),
    'meta.lastmodified': single('meta.lastModified', 'lastModified', 'dateTime'),
    // RFC 7643 3.1: resourceType is caseExact; every stored resource of a collection has the same one.
    'meta.resourcetype': {
      scimPath: 'meta.resourceType',
      type: 'string',
      caseExact: true,
      field: 'meta.resourceType',
      sortable: false,
      constant: resourceType,
    },
  };
}

function buildGroupFields(): FieldMap {
  const m: Record<string, FieldDef> = {
    id: single('id', '_id', 'string', { caseExact: true }),
    externalid: single('externalId', 'externalId', 'string', { caseExact: true }),
    displayname: single('displayName', 'displayName', 'string', { keyField: 'displayNameKey' }),
    // A placeholder field: the groups service resolves conditions on it through the memberships
    // collection (src/domain/groups/membership-filter.ts); groups hold no member array.
    'members.value': idArray('members.value', 'memberIds'),
    ...metaFields('Group'),
  };
  m.members = m['members.value']!;
  return Object.freeze(m);
}

export const USER_FIELDS: FieldMap = buildUserFields();
export const GROUP_FIELDS: FieldMap = buildGroupFields();

const CORE_URN: Record<FilterResourceType, string> = {
  User: SCHEMA_URN.user.toLowerCase(),
  Group: SCHEMA_URN.group.toLowerCase(),
};
const EXTENSION_URNS: Record<FilterResourceType, string[]> = {
  User: [ENTERPRISE, ROSTER],
  Group: [],
};

/** The fields of one custom extension (README "Custom schema extensions"), stored under ext.<key>. */
function extensionFields(extension: ExtensionDef): Record<string, FieldDef> {
  const m: Record<string, FieldDef> = {};
  const urn = extension.schema.id;
  const add = (path: string, stored: string, type: AttributeType, caseExact: boolean, multiValued: boolean) => {
    const def: FieldDef = { scimPath: `${urn}:${path}`, type, caseExact, field: `ext.${extension.key}.${stored}`, sortable: !multiValued };
    if (multiValued) def.multiValued = true;
    if (!caseExact && (type === 'string' || type === 'reference')) def.keyField = `ciExt.${extension.key}.${stored}`;
    m[`${urn}:${path}`.toLowerCase()] = def;
  };
  for (const attribute of extension.schema.attributes) {
    if (attribute.type !== 'complex') {
      add(attribute.name, attribute.name, attribute.type, attribute.caseExact || attribute.type === 'binary', attribute.multiValued);
      continue;
    }
    for (const sub of attribute.subAttributes ?? []) {
      add(`${attribute.name}.${sub.name}`, `${attribute.name}.${sub.name}`, sub.type, sub.caseExact || sub.type === 'binary', attribute.multiValued);
    }
  }
  return m;
}

const withExtensions = new WeakMap<ExtensionDef[], FieldMap>();

export function fieldsOf(resourceType: FilterResourceType): FieldMap {
  if (resourceType === 'Group') return GROUP_FIELDS;
  const extensions = currentExtensions();
  if (extensions.length === 0) return USER_FIELDS;
  let map = withExtensions.get(extensions);
  if (!map) {
    map = Object.freeze(Object.assign({}, USER_FIELDS, ...extensions.map(extensionFields)) as Record<string, FieldDef>);
    withExtensions.set(extensions, map);
  }
  return map;
}

/**
 * Candidate field-map keys for a SCIM path. URNs contain dots ("2.0"), so the
 * known schema URNs are matched as prefixes rather than by splitting the path.
 */
function candidateKeys(resourceType: FilterResourceType, scimPath: string): string[] {
  const lower = scimPath.trim().toLowerCase();
  const core = CORE_URN[resourceType];
  // RFC 7644 3.10: a core attribute may be written with its schema URN.
  if (lower.startsWith(`${core}:`)) return [lower.slice(core.length + 1)];
  const extensions = [
    ...EXTENSION_URNS[resourceType],
    ...(resourceType === 'User' ? currentExtensions().map((e) => e.schema.id.toLowerCase()) : []),
  ];
  if (extensions.some((urn) => lower.startsWith(`${urn}:`))) return [lower];
  // An extension attribute written without its URN is accepted when no core attribute has the name.
  return [lower, ...extensions.map((urn) => `${urn}:${lower}`)];
}

/** The field definition for a SCIM path (case-insensitive, URN-qualified or not), or undefined. */
export function resolveField(resourceType: FilterResourceType, scimPath: string): FieldDef | undefined {
  const map = fieldsOf(resourceType);
  for (const key of candidateKeys(resourceType, scimPath)) {
    if (Object.hasOwn(map, key)) return map[key];
  }
  return undefined;
}

/** The multi-valued attribute named before `[` in a value path, or undefined. */
export function resolveValuePath(resourceType: FilterResourceType, scimPath: string): ValuePathDef | undefined {
  const map = fieldsOf(resourceType);
  for (const key of candidateKeys(resourceType, scimPath)) {
    if (key.includes('[') || key.includes(']')) return undefined;
    const sub = Object.entries(map).find(([k, def]) => k.startsWith(`${key}.`) && def.multiValued);
    if (!sub) continue;
    const def = sub[1];
    return def.arrayField === undefined ? { name: key } : { name: key, arrayField: def.arrayField };
  }
  return undefined;
}
