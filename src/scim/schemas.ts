/**
 * The schemas Roster serves: RFC 7643 section 4 (User, Group, Enterprise User), Roster's lifecycle
 * extension, and the resource types that combine them (RFC 7643 section 6). Definitions follow the
 * RFC 7643 8.7.1 representation; where Roster deviates from it, a comment says why.
 */
import { SCHEMA_URN } from './schema-types.js';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './schema-types.js';
import { currentExtensions } from './extensions.js';

type AttributeOptions = Partial<Omit<AttributeDef, 'name' | 'description'>>;

// RFC 7643 2.2: the defaults an attribute has when a characteristic is not given.
function defineAttribute(name: string, description: string, options: AttributeOptions = {}): AttributeDef {
  return {
    name,
    type: 'string',
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

function defineComplex(
  name: string,
  description: string,
  subAttributes: AttributeDef[],
  options: AttributeOptions = {},
): AttributeDef {
  return defineAttribute(name, description, { type: 'complex', subAttributes, ...options });
}

/** RFC 7643 2.4: the value/display/type/primary shape shared by most multi-valued attributes. */
function defineMultiValued(
  name: string,
  description: string,
  canonicalTypes: string[],
  valueOptions: AttributeOptions = {},
): AttributeDef {
  return defineComplex(
    name,
    description,
    [
      defineAttribute('value', `The value of the ${name} entry.`, valueOptions),
      defineAttribute('display', 'A human-readable name, primarily used for display purposes.'),
      defineAttribute('type', `A label indicating the attribute's function.`, {
        canonicalValues: canonicalTypes,
      }),
      defineAttribute('primary', 'A Boolean value indicating the preferred entry; true at most once.', {
        type: 'boolean',
      }),
    ],
    { multiValued: true },
  );
}

/**
 * RFC 7643 3.1: id, externalId and meta belong to every resource but are not listed in a schema's
 * attributes on /Schemas; findAttribute still resolves them as core attributes.
 */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  defineAttribute('id', 'A unique identifier for the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  defineAttribute('externalId', 'An identifier for the resource as defined by the provisioning client.', {
    caseExact: true,
  }),
  defineComplex(
    'meta',
    'Resource metadata maintained by the service provider.',
    [
      defineAttribute('resourceType', 'The name of the resource type of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      defineAttribute('created', 'The DateTime that the resource was added to the service provider.', {
        type: 'dateTime',
        mutability: 'readOnly',
      }),
      defineAttribute('lastModified', 'The most recent DateTime that the resource was modified.', {
        type: 'dateTime',
        mutability: 'readOnly',
      }),
      defineAttribute('location', 'The URI of the resource being returned.', {
        type: 'reference',
        referenceTypes: ['uri'],
        caseExact: true,
        mutability: 'readOnly',
      }),
      defineAttribute('version', 'The version (ETag) of the resource being returned.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
    { mutability: 'readOnly' },
  ),
];

const readOnly: AttributeOptions = { mutability: 'readOnly' };

export const USER_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.user,
  name: 'User',
  description: 'User Account',
  attributes: [
    defineAttribute('userName', 'Unique identifier for the User, used to authenticate.', {
      required: true,
      uniqueness: 'server',
    }),
    defineComplex('name', "The components of the user's real name.", [
      defineAttribute('formatted', 'The full name, formatted for display.'),
      defineAttribute('familyName', 'The family name of the User.'),
      defineAttribute('givenName', 'The given name of the User.'),
      defineAttribute('middleName', 'The middle name(s) of the User.'),
      defineAttribute('honorificPrefix', 'The honorific prefix(es) of the User.'),
      defineAttribute('honorificSuffix', 'The honorific suffix(es) of the User.'),
    ]),
    defineAttribute('displayName', 'The name of the User, suitable for display to end-users.'),
    defineAttribute('nickName', 'The casual way to address the user in real life.'),
    defineAttribute('profileUrl', "A fully qualified URL pointing to the User's online profile.", {
      type: 'reference',
      referenceTypes: ['external'],
    }),
    defineAttribute('title', "The user's title, such as \"Vice President\"."),
    defineAttribute('userType', 'Identifies the relationship between the organization and the user.'),
    defineAttribute('preferredLanguage', "The User's preferred written or spoken language."),
    defineAttribute('locale', "The User's default location for localization purposes."),
    defineAttribute('timezone', "The User's time zone in the IANA Time Zone database format."),
    defineAttribute('active', "A Boolean value indicating the User's administrative status.", {
      type: 'boolean',
    }),
    // RFC 7643 4.1.1: the password is never returned by a service provider in any form.
    defineAttribute('password', "The User's cleartext password, used to set or change it.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    defineMultiValued('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    defineMultiValued('phoneNumbers', 'Phone numbers for the User.', [
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]),
    defineMultiValued('ims', 'Instant messaging addresses for the User.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    defineMultiValued('photos', 'URLs of images of the User.', ['photo', 'thumbnail'], {
      type: 'reference',
      referenceTypes: ['external'],
    }),
    // RFC 7643 4.1.2 lists primary for addresses although the 8.7.1 representation omits it.
    defineComplex(
      'addresses',
      'A physical mailing address for this User.',
      [
        defineAttribute('formatted', 'The full mailing address, formatted for display.'),
        defineAttribute('streetAddress', 'The full street address component.'),
        defineAttribute('locality', 'The city or locality component.'),
        defineAttribute('region', 'The state or region component.'),
        defineAttribute('postalCode', 'The zip code or postal code component.'),
        defineAttribute('country', 'The country name component, in ISO 3166-1 alpha-2 code format.'),
        defineAttribute('type', "A label indicating the attribute's function.", {
          canonicalValues: ['work', 'home', 'other'],
        }),
        defineAttribute('primary', 'A Boolean value indicating the preferred address.', { type: 'boolean' }),
      ],
      { multiValued: true },
    ),
    // RFC 7643 4.1.2: group membership is changed through the Group resource, never through the User.
    defineComplex(
      'groups',
      'A list of groups to which the user belongs.',
      [
        defineAttribute('value', 'The identifier of the User\'s group.', readOnly),
        defineAttribute('$ref', 'The URI of the corresponding Group resource.', {
          ...readOnly,
          type: 'reference',
          referenceTypes: ['User', 'Group'],
        }),
        defineAttribute('display', 'A human-readable name, primarily used for display purposes.', readOnly),
        defineAttribute('type', 'Whether the membership is direct or indirect.', {
          ...readOnly,
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    defineMultiValued('entitlements', 'A list of entitlements for the User.', []),
    defineMultiValued('roles', 'A list of roles for the User.', []),
    defineMultiValued('x509Certificates', 'A list of certificates issued to the User.', [], {
      type: 'binary',
    }),
  ],
};

export const ENTERPRISE_USER_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    defineAttribute('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person.'),
    defineAttribute('costCenter', 'Identifies the name of a cost center.'),
    defineAttribute('organization', 'Identifies the name of an organization.'),
    defineAttribute('division', 'Identifies the name of a division.'),
    defineAttribute('department', 'Identifies the name of a department.'),
    defineComplex('manager', "The User's manager.", [
      defineAttribute('value', 'The id of the SCIM resource representing the User\'s manager.'),
      defineAttribute('$ref', 'The URI of the SCIM resource representing the User\'s manager.', {
        type: 'reference',
        referenceTypes: ['User'],
      }),
      defineAttribute('displayName', "The displayName of the User's manager.", readOnly),
    ]),
  ],
};

export const ROSTER_USER_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.rosterUser,
  name: 'RosterLifecycleUser',
  description: 'Roster lifecycle state of a User: status, invitation and onboarding times.',
  attributes: [
    defineAttribute('status', 'The lifecycle state of the User.', {
      ...readOnly,
      caseExact: true,
      canonicalValues: ['invited', 'active', 'suspended'],
    }),
    defineAttribute('invitedAt', 'When the User was invited.', { ...readOnly, type: 'dateTime' }),
    defineAttribute('onboardedAt', 'When the User completed onboarding.', { ...readOnly, type: 'dateTime' }),
  ],
};

export const GROUP_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.group,
  name: 'Group',
  description: 'Group',
  attributes: [
    // RFC 7643 4.2 makes displayName REQUIRED; Roster also binds groups to roles by displayName,
    // so it is unique per organization (the 8.7.1 representation says uniqueness none).
    defineAttribute('displayName', 'A human-readable name for the Group.', {
      required: true,
      uniqueness: 'server',
    }),
    defineComplex(
      'members',
      'A list of members of the Group.',
      [
        defineAttribute('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        defineAttribute('$ref', 'The URI corresponding to a SCIM resource that is a member of this Group.', {
          type: 'reference',
          referenceTypes: ['User', 'Group'],
          mutability: 'immutable',
        }),
        // RFC 7643 4.2 names display; the server derives it from the member, so clients cannot set it.
        defineAttribute('display', 'A human-readable name for the member.', readOnly),
        defineAttribute('type', 'The type of the member.', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
      ],
      { multiValued: true },
    ),
  ],
};

// RFC 7643 section 5, 6, 7 and 8.7.2: the schemas of the discovery resources themselves. Every
// attribute is readOnly: the discovery endpoints only answer GET (RFC 7644 section 4).
const ro = (name: string, description: string, options: AttributeOptions = {}): AttributeDef =>
  defineAttribute(name, description, { mutability: 'readOnly', ...options });
const roComplex = (name: string, description: string, subAttributes: AttributeDef[], options: AttributeOptions = {}): AttributeDef =>
  defineComplex(name, description, subAttributes, { mutability: 'readOnly', ...options });
const supported = (what: string): AttributeDef =>
  ro('supported', `A Boolean value specifying whether ${what} is supported.`, { type: 'boolean', required: true });

export const SERVICE_PROVIDER_CONFIG_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.serviceProviderConfig,
  name: 'Service Provider Configuration',
  description: "Schema for representing the service provider's configuration",
  attributes: [
    ro('documentationUri', "An HTTP-addressable URL pointing to the service provider's human-consumable help documentation.", {
      type: 'reference',
      referenceTypes: ['external'],
    }),
    roComplex('patch', 'A complex type that specifies PATCH configuration options.', [supported('the operation')], { required: true }),
    roComplex(
      'bulk',
      'A complex type that specifies bulk configuration options.',
      [
        supported('the operation'),
        ro('maxOperations', 'An integer value specifying the maximum number of operations.', { type: 'integer', required: true }),
        ro('maxPayloadSize', 'An integer value specifying the maximum payload size in bytes.', { type: 'integer', required: true }),
      ],
      { required: true },
    ),
    roComplex(
      'filter',
      'A complex type that specifies FILTER options.',
      [
        supported('filtering'),
        ro('maxResults', 'An integer value specifying the maximum number of resources returned in a response.', {
          type: 'integer',
          required: true,
        }),
      ],
      { required: true },
    ),
    roComplex('changePassword', 'A complex type that specifies configuration options related to changing a password.', [supported('the operation')], {
      required: true,
    }),
    roComplex('sort', 'A complex type that specifies sort result options.', [supported('sorting')], { required: true }),
    roComplex('etag', 'A complex type that specifies ETag configuration options.', [supported('ETags')], { required: true }),
    // RFC 7643 8.7.2 lists name, description, specUri and documentationUri; section 5 and its example
    // also use type and primary (RFC errata 7921), which this server sends.
    roComplex(
      'authenticationSchemes',
      'A complex type that specifies supported authentication scheme properties.',
      [
        ro('type', 'The authentication scheme.', {
          required: true,
          canonicalValues: ['oauth', 'oauth2', 'oauthbearertoken', 'httpbasic', 'httpdigest'],
        }),
        ro('name', 'The common authentication scheme name, e.g., HTTP Basic.', { required: true }),
        ro('description', 'A description of the authentication scheme.', { required: true }),
        ro('specUri', "An HTTP-addressable URL pointing to the authentication scheme's specification.", {
          type: 'reference',
          referenceTypes: ['external'],
        }),
        ro('documentationUri', "An HTTP-addressable URL pointing to the authentication scheme's usage documentation.", {
          type: 'reference',
          referenceTypes: ['external'],
        }),
        ro('primary', 'A Boolean value indicating the preferred authentication scheme.', { type: 'boolean' }),
      ],
      { multiValued: true, required: true },
    ),
    // RFC 9865 section 4: the pagination capabilities (cursor and index paging).
    roComplex('pagination', 'A complex type that specifies pagination options (RFC 9865).', [
      ro('cursor', 'A Boolean value specifying whether cursor-based pagination is supported.', { type: 'boolean' }),
      ro('index', 'A Boolean value specifying whether index-based pagination is supported.', { type: 'boolean' }),
      ro('defaultPaginationMethod', 'The pagination method used when a request names none.', {
        canonicalValues: ['cursor', 'index'],
      }),
      ro('defaultPageSize', 'The number of resources a page holds when the request gives no count.', { type: 'integer' }),
      ro('maxPageSize', 'The largest count a request may ask for.', { type: 'integer' }),
      ro('cursorTimeout', 'Seconds a cursor stays valid.', { type: 'integer' }),
    ]),
    // RFC 9967 section 4: the security events (SETs) the provider can deliver on an event stream.
    roComplex('securityEvents', 'A complex type that specifies the capabilities related to Security Events (RFC 9967).', [
      ro('asyncRequest', 'Whether SCIM requests may complete asynchronously: none, long (at server discretion) or request (when the client asks).', {
        canonicalValues: ['none', 'long', 'request'],
      }),
      ro('eventUris', 'The SET event URIs the server can generate and deliver on a SET stream (RFC 8935, RFC 8936).', { multiValued: true }),
    ]),
  ],
};

export const RESOURCE_TYPE_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.resourceType,
  name: 'ResourceType',
  description: 'Specifies the schema that describes a SCIM resource type',
  attributes: [
    ro('id', "The resource type's server unique id. May be the same as the 'name' attribute."),
    ro('name', 'The resource type name.', { required: true }),
    ro('description', "The resource type's human-readable description."),
    ro('endpoint', "The resource type's HTTP-addressable endpoint relative to the Base URL, e.g., '/Users'.", {
      type: 'reference',
      referenceTypes: ['uri'],
      required: true,
    }),
    ro('schema', "The resource type's primary/base schema URI.", {
      type: 'reference',
      referenceTypes: ['uri'],
      required: true,
      caseExact: true,
    }),
    roComplex('schemaExtensions', "A list of URIs of the resource type's schema extensions.", [
      ro('schema', 'The URI of a schema extension.', { type: 'reference', referenceTypes: ['uri'], required: true, caseExact: true }),
      ro('required', 'A Boolean value that specifies whether or not the schema extension is required for the resource type.', {
        type: 'boolean',
        required: true,
      }),
    ], { multiValued: true }),
  ],
};

/** RFC 7643 section 7: the characteristics an attribute definition carries (used at two levels). */
function attributeCharacteristics(withSubAttributes: boolean): AttributeDef[] {
  const list = [
    ro('name', "The attribute's name.", { required: true, caseExact: true }),
    ro('type', "The attribute's data type.", {
      required: true,
      canonicalValues: ['string', 'complex', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary'],
    }),
    ro('multiValued', 'A Boolean value indicating an attribute\'s plurality.', { type: 'boolean', required: true }),
    ro('description', 'A human-readable description of the attribute.'),
    ro('required', 'A Boolean value indicating whether or not the attribute is required.', { type: 'boolean' }),
    ro('canonicalValues', 'A collection of canonical values.', { multiValued: true }),
    ro('caseExact', 'A Boolean value indicating whether or not a string attribute is case sensitive.', { type: 'boolean' }),
    ro('mutability', 'Indicates whether or not an attribute is modifiable.', {
      canonicalValues: ['readOnly', 'readWrite', 'immutable', 'writeOnly'],
    }),
    ro('returned', 'Indicates when an attribute is returned in a response (e.g., to a query).', {
      canonicalValues: ['always', 'never', 'default', 'request'],
    }),
    ro('uniqueness', 'Indicates how unique a value must be.', { canonicalValues: ['none', 'server', 'global'] }),
    ro('referenceTypes', 'Used only with an attribute of type \'reference\'. Specifies a SCIM resourceType that a reference attribute MAY refer to.', {
      multiValued: true,
    }),
  ];
  if (withSubAttributes) {
    list.push(roComplex('subAttributes', "Used to define the sub-attributes of a complex attribute.", attributeCharacteristics(false), { multiValued: true }));
  }
  return list;
}

export const SCHEMA_SCHEMA: SchemaDef = {
  id: SCHEMA_URN.schema,
  name: 'Schema',
  description: 'Specifies the schema attribute definitions of a SCIM resource or extension',
  attributes: [
    ro('id', 'The unique URI of the schema.', { required: true, caseExact: true }),
    ro('name', 'The schema\'s human-readable name.'),
    ro('description', 'The schema\'s human-readable description.'),
    roComplex('attributes', "A complex attribute that includes the attributes of a schema.", attributeCharacteristics(true), {
      multiValued: true,
      required: true,
    }),
  ],
};

/** What /Schemas serves: the resource schemas, then the schemas of the discovery resources. */
export const DISCOVERY_SCHEMAS: SchemaDef[] = [SERVICE_PROVIDER_CONFIG_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA];

export const ALL_SCHEMAS: SchemaDef[] = [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA];

export const USER_RESOURCE_TYPE: ResourceTypeDef = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: SCHEMA_URN.user,
  schemaExtensions: [
    { schema: SCHEMA_URN.enterpriseUser, required: false },
    { schema: SCHEMA_URN.rosterUser, required: false },
  ],
};

export const GROUP_RESOURCE_TYPE: ResourceTypeDef = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: SCHEMA_URN.group,
  schemaExtensions: [],
};

export const ALL_RESOURCE_TYPES: ResourceTypeDef[] = [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE];

export type ScimResourceType = 'User' | 'Group';

export interface AttributeLookup {
  /** URN of the schema that owns the attribute (the core schema for id, externalId and meta). */
  schema: string;
  attribute: AttributeDef;
  subAttribute?: AttributeDef;
  /** Canonical path: `name.givenName`, or `<extension URN>:manager.value` for extension attributes. */
  path: string;
}

const SCHEMAS_BY_ID = new Map(ALL_SCHEMAS.map((schema) => [schema.id, schema]));

/** The schema definition with this URN, matched case-insensitively (the organization's extensions included). */
export function findSchema(id: string): SchemaDef | undefined {
  const wanted = id.toLowerCase();
  return [...ALL_SCHEMAS, ...currentExtensions().map((e) => e.schema)].find((schema) => schema.id.toLowerCase() === wanted);
}

/** The resource type's core schema followed by its extensions, the calling organization's custom ones last. */
export function listResourceSchemas(resourceType: ScimResourceType): SchemaDef[] {
  const definition = resourceType === 'User' ? USER_RESOURCE_TYPE : GROUP_RESOURCE_TYPE;
  const ids = [definition.schema, ...definition.schemaExtensions.map((extension) => extension.schema)];
  const schemas = ids.map((id) => SCHEMAS_BY_ID.get(id)).filter((schema): schema is SchemaDef => schema !== undefined);
  return resourceType === 'User' ? [...schemas, ...currentExtensions().map((e) => e.schema)] : schemas;
}

/** The extension schema URN this string names exactly (case-insensitive), for whole-extension paths. */
export function findExtensionUrn(resourceType: ScimResourceType, path: string): string | undefined {
  const wanted = path.trim().toLowerCase();
  return listResourceSchemas(resourceType)
    .slice(1)
    .find((schema) => schema.id.toLowerCase() === wanted)?.id;
}

function findByName(attributes: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((attribute) => attribute.name.toLowerCase() === wanted);
}

/**
 * Resolves an attribute path (RFC 7644 3.10) for a resource type. Names match case-insensitively;
 * a path may be prefixed by its schema URN. URNs contain dots ("2.0"), so the URN is matched as a
 * known prefix before the remainder is split on its dot.
 */
export function findAttribute(resourceType: ScimResourceType, path: string): AttributeLookup | undefined {
  const trimmed = path.trim();
  const lowered = trimmed.toLowerCase();
  const schemas = listResourceSchemas(resourceType);
  const core = schemas[0];
  if (!core) return undefined;

  let owner: SchemaDef = core;
  let rest = trimmed;
  // Longest URN first, so a URN that prefixes another cannot capture it.
  const byLength = [...schemas].sort((a, b) => b.id.length - a.id.length);
  const prefixed = byLength.find((schema) => lowered.startsWith(`${schema.id.toLowerCase()}:`));
  if (prefixed) {
    owner = prefixed;
    rest = trimmed.slice(prefixed.id.length + 1);
  } else if (lowered.startsWith('urn:')) {
    return undefined;
  }

  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((part) => part === '')) return undefined;
  const [attributeName = '', subName] = parts;

  const candidates = owner === core ? [...owner.attributes, ...COMMON_ATTRIBUTES] : owner.attributes;
  const attribute = findByName(candidates, attributeName);
  if (!attribute) return undefined;

  const prefix = owner === core ? '' : `${owner.id}:`;
  if (subName === undefined) return { schema: owner.id, attribute, path: `${prefix}${attribute.name}` };

  const subAttribute = findByName(attribute.subAttributes ?? [], subName);
  if (!subAttribute) return undefined;
  return { schema: owner.id, attribute, subAttribute, path: `${prefix}${attribute.name}.${subAttribute.name}` };
}

function joinUrl(baseUrl: string, ...segments: string[]): string {
  return [baseUrl.replace(/\/+$/, ''), ...segments].join('/');
}

/** RFC 7643 section 7 and 8.7.1: a schema as served on /Schemas/{id}. */
export function schemaToResource(schema: SchemaDef, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCHEMA_URN.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: structuredClone(schema.attributes),
    meta: { resourceType: 'Schema', location: joinUrl(baseUrl, 'Schemas', schema.id) },
  };
}

/** RFC 7643 section 6 and 8.6: a resource type as served on /ResourceTypes/{id}. */
export function resourceTypeToResource(resourceType: ResourceTypeDef, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCHEMA_URN.resourceType],
    id: resourceType.id,
    name: resourceType.name,
    endpoint: resourceType.endpoint,
    description: resourceType.description,
    schema: resourceType.schema,
    schemaExtensions: resourceType.schemaExtensions.map((extension) => ({ ...extension })),
    meta: { resourceType: 'ResourceType', location: joinUrl(baseUrl, 'ResourceTypes', resourceType.id) },
  };
}
