import { expect } from 'chai';
import { SCHEMA_URN } from '../../../src/scim/schema-types.js';
import type { AttributeDef } from '../../../src/scim/schema-types.js';
import {
  ALL_RESOURCE_TYPES,
  ALL_SCHEMAS,
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  ROSTER_USER_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
  findAttribute,
  resourceTypeToResource,
  schemaToResource,
} from '../../../src/scim/schemas.js';

function attributeOf(attributes: AttributeDef[], name: string): AttributeDef {
  const found = attributes.find((attribute) => attribute.name === name);
  if (!found) throw new Error(`no attribute ${name}`);
  return found;
}

describe('schemas', () => {
  describe('USER_SCHEMA', () => {
    it('lists every RFC 7643 4.1 attribute, without the common ones (RFC 7643 3.1)', () => {
      expect(USER_SCHEMA.id).to.equal('urn:ietf:params:scim:schemas:core:2.0:User');
      expect(USER_SCHEMA.attributes.map((attribute) => attribute.name)).to.deep.equal([
        'userName',
        'name',
        'displayName',
        'nickName',
        'profileUrl',
        'title',
        'userType',
        'preferredLanguage',
        'locale',
        'timezone',
        'active',
        'password',
        'emails',
        'phoneNumbers',
        'ims',
        'photos',
        'addresses',
        'groups',
        'entitlements',
        'roles',
        'x509Certificates',
      ]);
    });

    it('makes userName required, server-unique and case-insensitive', () => {
      const userName = attributeOf(USER_SCHEMA.attributes, 'userName');
      expect(userName).to.include({ required: true, uniqueness: 'server', caseExact: false, returned: 'default' });
    });

    it('makes password writeOnly and returned never', () => {
      expect(attributeOf(USER_SCHEMA.attributes, 'password')).to.include({
        mutability: 'writeOnly',
        returned: 'never',
      });
    });

    it('makes groups and all its sub-attributes readOnly', () => {
      const groups = attributeOf(USER_SCHEMA.attributes, 'groups');
      expect(groups.mutability).to.equal('readOnly');
      expect(groups.subAttributes?.map((sub) => [sub.name, sub.mutability])).to.deep.equal([
        ['value', 'readOnly'],
        ['$ref', 'readOnly'],
        ['display', 'readOnly'],
        ['type', 'readOnly'],
      ]);
    });

    const multiValued: [string, string[]][] = [
      ['emails', ['work', 'home', 'other']],
      ['phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']],
      ['ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']],
      ['photos', ['photo', 'thumbnail']],
      ['entitlements', []],
      ['roles', []],
      ['x509Certificates', []],
    ];
    for (const [name, types] of multiValued) {
      it(`gives ${name} value, display, type and primary with canonical types ${JSON.stringify(types)}`, () => {
        const attribute = attributeOf(USER_SCHEMA.attributes, name);
        expect(attribute).to.include({ type: 'complex', multiValued: true });
        expect(attribute.subAttributes?.map((sub) => sub.name)).to.deep.equal(['value', 'display', 'type', 'primary']);
        expect(attributeOf(attribute.subAttributes ?? [], 'type').canonicalValues).to.deep.equal(types);
        expect(attributeOf(attribute.subAttributes ?? [], 'primary').type).to.equal('boolean');
      });
    }

    it('types profileUrl and photos.value as external references and x509Certificates.value as binary', () => {
      expect(attributeOf(USER_SCHEMA.attributes, 'profileUrl')).to.deep.include({
        type: 'reference',
        referenceTypes: ['external'],
      });
      const photos = attributeOf(USER_SCHEMA.attributes, 'photos');
      expect(attributeOf(photos.subAttributes ?? [], 'value').type).to.equal('reference');
      const certificates = attributeOf(USER_SCHEMA.attributes, 'x509Certificates');
      expect(attributeOf(certificates.subAttributes ?? [], 'value').type).to.equal('binary');
    });
  });

  describe('COMMON_ATTRIBUTES', () => {
    it('makes id readOnly, always returned, caseExact and server-unique', () => {
      expect(attributeOf(COMMON_ATTRIBUTES, 'id')).to.include({
        mutability: 'readOnly',
        returned: 'always',
        caseExact: true,
        uniqueness: 'server',
      });
    });

    it('makes externalId caseExact and readWrite', () => {
      expect(attributeOf(COMMON_ATTRIBUTES, 'externalId')).to.include({ caseExact: true, mutability: 'readWrite' });
    });

    it('makes meta a readOnly complex attribute with its five sub-attributes', () => {
      const meta = attributeOf(COMMON_ATTRIBUTES, 'meta');
      expect(meta).to.include({ type: 'complex', mutability: 'readOnly' });
      expect(meta.subAttributes?.map((sub) => sub.name)).to.deep.equal([
        'resourceType',
        'created',
        'lastModified',
        'location',
        'version',
      ]);
    });
  });

  describe('extension and group schemas', () => {
    it('gives the enterprise manager a value, a $ref and a readOnly displayName', () => {
      const manager = attributeOf(ENTERPRISE_USER_SCHEMA.attributes, 'manager');
      expect(manager.subAttributes?.map((sub) => [sub.name, sub.mutability])).to.deep.equal([
        ['value', 'readWrite'],
        ['$ref', 'readWrite'],
        ['displayName', 'readOnly'],
      ]);
    });

    it('makes every Roster lifecycle attribute readOnly and returned by default', () => {
      expect(ROSTER_USER_SCHEMA.id).to.equal(SCHEMA_URN.rosterUser);
      for (const attribute of ROSTER_USER_SCHEMA.attributes) {
        expect(attribute, attribute.name).to.include({ mutability: 'readOnly', returned: 'default' });
      }
      expect(attributeOf(ROSTER_USER_SCHEMA.attributes, 'status')).to.deep.include({
        caseExact: true,
        canonicalValues: ['invited', 'active', 'suspended'],
      });
    });

    it('makes Group displayName required, case-insensitive and server-unique', () => {
      expect(attributeOf(GROUP_SCHEMA.attributes, 'displayName')).to.include({
        required: true,
        caseExact: false,
        uniqueness: 'server',
      });
    });

    it('makes Group members.value immutable and members.type canonical User or Group', () => {
      const members = attributeOf(GROUP_SCHEMA.attributes, 'members');
      expect(members.multiValued).to.equal(true);
      expect(attributeOf(members.subAttributes ?? [], 'value').mutability).to.equal('immutable');
      expect(attributeOf(members.subAttributes ?? [], 'type').canonicalValues).to.deep.equal(['User', 'Group']);
    });

    it('lists four schemas and two resource types', () => {
      expect(ALL_SCHEMAS.map((schema) => schema.id)).to.have.members([
        SCHEMA_URN.user,
        SCHEMA_URN.group,
        SCHEMA_URN.enterpriseUser,
        SCHEMA_URN.rosterUser,
      ]);
      expect(ALL_RESOURCE_TYPES).to.deep.equal([USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE]);
      expect(USER_RESOURCE_TYPE.schemaExtensions).to.deep.equal([
        { schema: SCHEMA_URN.enterpriseUser, required: false },
        { schema: SCHEMA_URN.rosterUser, required: false },
      ]);
    });
  });

  describe('findAttribute', () => {
    const found: [string, 'User' | 'Group', string, string][] = [
      // [path asked for, resource type, canonical path, owning schema]
      ['userName', 'User', 'userName', SCHEMA_URN.user],
      ['USERNAME', 'User', 'userName', SCHEMA_URN.user],
      ['name.givenName', 'User', 'name.givenName', SCHEMA_URN.user],
      ['Name.GIVENNAME', 'User', 'name.givenName', SCHEMA_URN.user],
      ['emails.value', 'User', 'emails.value', SCHEMA_URN.user],
      ['meta.lastModified', 'User', 'meta.lastModified', SCHEMA_URN.user],
      ['id', 'User', 'id', SCHEMA_URN.user],
      ['externalId', 'User', 'externalId', SCHEMA_URN.user],
      ['groups.$ref', 'User', 'groups.$ref', SCHEMA_URN.user],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName', 'User', 'userName', SCHEMA_URN.user],
      ['URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.familyName', 'User', 'name.familyName', SCHEMA_URN.user],
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
        'User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
        SCHEMA_URN.enterpriseUser,
      ],
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Manager.Value',
        'User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
        SCHEMA_URN.enterpriseUser,
      ],
      [
        'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User:status',
        'User',
        'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User:status',
        SCHEMA_URN.rosterUser,
      ],
      ['displayName', 'Group', 'displayName', SCHEMA_URN.group],
      ['members.value', 'Group', 'members.value', SCHEMA_URN.group],
      ['urn:ietf:params:scim:schemas:core:2.0:Group:members', 'Group', 'members', SCHEMA_URN.group],
      ['meta.version', 'Group', 'meta.version', SCHEMA_URN.group],
    ];
    for (const [path, resourceType, canonical, schema] of found) {
      it(`resolves ${resourceType} ${path} to ${canonical}`, () => {
        const lookup = findAttribute(resourceType, path);
        expect(lookup?.path).to.equal(canonical);
        expect(lookup?.schema).to.equal(schema);
      });
    }

    it('returns the attribute and sub-attribute definitions', () => {
      const lookup = findAttribute('User', 'emails.value');
      expect(lookup?.attribute.name).to.equal('emails');
      expect(lookup?.subAttribute?.name).to.equal('value');
      expect(findAttribute('User', 'emails')?.subAttribute).to.equal(undefined);
    });

    const missing: [string, 'User' | 'Group'][] = [
      ['nope', 'User'],
      ['name.nope', 'User'],
      ['userName.value', 'User'],
      ['name.givenName.extra', 'User'],
      ['name.', 'User'],
      ['', 'User'],
      ['members', 'User'],
      ['userName', 'Group'],
      ['department', 'User'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'User'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope', 'User'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'Group'],
      ['urn:example:unknown:2.0:User:userName', 'User'],
    ];
    for (const [path, resourceType] of missing) {
      it(`finds nothing for ${resourceType} ${JSON.stringify(path)}`, () => {
        expect(findAttribute(resourceType, path)).to.equal(undefined);
      });
    }
  });

  describe('schemaToResource', () => {
    it('represents a schema with the Schema URN and a meta location (RFC 7643 7)', () => {
      const resource = schemaToResource(ENTERPRISE_USER_SCHEMA, 'https://roster.example/scim/v2/');
      expect(resource).to.deep.include({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
        id: SCHEMA_URN.enterpriseUser,
        name: 'EnterpriseUser',
        meta: {
          resourceType: 'Schema',
          location: `https://roster.example/scim/v2/Schemas/${SCHEMA_URN.enterpriseUser}`,
        },
      });
      expect(resource.attributes).to.deep.equal(ENTERPRISE_USER_SCHEMA.attributes);
    });

    it('does not share its attributes with the definition', () => {
      const resource = schemaToResource(USER_SCHEMA, 'https://roster.example/scim/v2');
      (resource.attributes as AttributeDef[]).pop();
      expect(USER_SCHEMA.attributes).to.have.length(21);
    });
  });

  describe('resourceTypeToResource', () => {
    it('represents a resource type with the ResourceType URN and a meta location (RFC 7643 6)', () => {
      expect(resourceTypeToResource(USER_RESOURCE_TYPE, 'https://roster.example/scim/v2')).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: SCHEMA_URN.user,
        schemaExtensions: [
          { schema: SCHEMA_URN.enterpriseUser, required: false },
          { schema: SCHEMA_URN.rosterUser, required: false },
        ],
        meta: { resourceType: 'ResourceType', location: 'https://roster.example/scim/v2/ResourceTypes/User' },
      });
    });
  });
});
