import { expect } from 'chai';
import {
  GROUP_FIELDS,
  USER_FIELDS,
  resolveField,
  resolveValuePath,
  type FieldDef,
  type FilterResourceType,
} from '../../../src/scim/field-map.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ROSTER = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('field map', () => {
  describe('resolveField', () => {
    // [resource type, path as a client writes it, expected stored field, expected keyField]
    const rows: [FilterResourceType, string, string, string | undefined][] = [
      ['User', 'id', '_id', undefined],
      ['User', 'externalId', 'externalId', undefined],
      ['User', 'userName', 'userName', 'userNameKey'],
      ['User', 'USERNAME', 'userName', 'userNameKey'],
      ['User', `${CORE}:userName`, 'userName', 'userNameKey'],
      ['User', `${CORE.toUpperCase()}:USERNAME`, 'userName', 'userNameKey'],
      ['User', `${CORE}:name.familyName`, 'name.familyName', 'ci.name.familyName'],
      ['User', 'displayName', 'displayName', 'displayNameKey'],
      ['User', 'name.givenName', 'name.givenName', 'ci.name.givenName'],
      ['User', 'emails', 'emails.value', 'emails.valueKey'],
      ['User', 'emails.value', 'emails.value', 'emails.valueKey'],
      ['User', 'emails.type', 'emails.type', 'ci.emails.type'],
      ['User', 'phoneNumbers.value', 'phoneNumbers.value', 'ci.phoneNumbers.value'],
      ['User', 'ims.display', 'ims.display', 'ci.ims.display'],
      ['User', 'photos.value', 'photos.value', 'ci.photos.value'],
      ['User', 'entitlements.primary', 'entitlements.primary', undefined],
      ['User', 'roles.value', 'roles.value', 'ci.roles.value'],
      ['User', 'x509Certificates.value', 'x509Certificates.value', undefined],
      ['User', 'addresses.postalCode', 'addresses.postalCode', 'ci.addresses.postalCode'],
      ['User', 'groups', 'groupIds', undefined],
      ['User', 'groups.value', 'groupIds', undefined],
      ['User', 'active', 'active', undefined],
      ['User', 'meta.created', 'created', undefined],
      ['User', 'meta.lastModified', 'lastModified', undefined],
      ['User', `${ENT}:department`, 'enterprise.department', 'ci.enterprise.department'],
      ['User', `${ENT.toLowerCase()}:DEPARTMENT`, 'enterprise.department', 'ci.enterprise.department'],
      ['User', `${ENT}:manager`, 'enterprise.manager.value', undefined],
      ['User', `${ENT}:manager.value`, 'enterprise.manager.value', undefined],
      ['User', 'department', 'enterprise.department', 'ci.enterprise.department'],
      ['User', `${ROSTER}:status`, 'status', 'status'],
      ['User', `${ROSTER}:invitedAt`, 'invitedAt', undefined],
      ['User', `${ROSTER}:onboardedAt`, 'onboardedAt', undefined],
      ['User', 'status', 'status', 'status'],
      ['Group', 'id', '_id', undefined],
      ['Group', 'displayName', 'displayName', 'displayNameKey'],
      ['Group', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName', 'displayName', 'displayNameKey'],
      ['Group', 'members', 'memberIds', undefined],
      ['Group', 'members.value', 'memberIds', undefined],
      ['Group', 'meta.created', 'created', undefined],
    ];
    for (const [resourceType, path, field, keyField] of rows) {
      it(`maps ${resourceType} "${path}" to the stored field ${field}`, () => {
        const def = resolveField(resourceType, path);
        expect(def, path).to.not.equal(undefined);
        expect(def!.field).to.equal(field);
        expect(def!.keyField).to.equal(keyField);
      });
    }

    const unknown: [FilterResourceType, string][] = [
      ['User', 'password'],
      ['User', 'passwordHash'],
      ['User', 'userNameKey'],
      ['User', 'orgId'],
      ['User', 'name'],
      ['User', 'emails.valueKey'],
      ['User', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName'],
      ['User', `${ENT}:userName`],
      ['User', 'toString'],
      ['User', '__proto__'],
      ['Group', 'userName'],
      ['Group', `${ENT}:department`],
      ['Group', 'status'],
    ];
    for (const [resourceType, path] of unknown) {
      it(`does not resolve ${resourceType} "${path}", which is not in the allowlist`, () => {
        expect(resolveField(resourceType, path)).to.equal(undefined);
      });
    }
  });

  describe('case rules', () => {
    const rows: [string, boolean][] = [
      ['id', true],
      ['externalId', true],
      ['userName', false],
      ['displayName', false],
      ['name.familyName', false],
      ['emails.value', false],
      ['emails.type', false],
      ['groups.value', true],
      [`${ENT}:manager`, true],
      [`${ENT}:department`, false],
      ['meta.resourceType', true],
    ];
    for (const [path, caseExact] of rows) {
      it(`marks User "${path}" caseExact ${caseExact}`, () => {
        expect(resolveField('User', path)!.caseExact).to.equal(caseExact);
      });
    }

    it('types active and the primary flags as boolean and the times as dateTime', () => {
      expect(resolveField('User', 'active')!.type).to.equal('boolean');
      expect(resolveField('User', 'emails.primary')!.type).to.equal('boolean');
      expect(resolveField('User', 'meta.created')!.type).to.equal('dateTime');
      expect(resolveField('User', `${ROSTER}:invitedAt`)!.type).to.equal('dateTime');
    });

    it('gives meta.resourceType a constant instead of a stored field', () => {
      expect(resolveField('User', 'meta.resourceType')!.constant).to.equal('User');
      expect(resolveField('Group', 'meta.resourceType')!.constant).to.equal('Group');
    });
  });

  describe('sortability', () => {
    it('marks every single-valued attribute sortable and every multi-valued one not', () => {
      const all: FieldDef[] = [...Object.values(USER_FIELDS), ...Object.values(GROUP_FIELDS)];
      for (const def of all) {
        if (def.constant !== undefined) continue;
        expect(def.sortable, def.scimPath).to.equal(!def.multiValued);
      }
    });

    it('stores every element keyField in the same array or in its parallel ci array (store/case-keys.ts)', () => {
      for (const def of Object.values(USER_FIELDS)) {
        if (def.keyField && def.arrayField) {
          expect(def.keyField.startsWith(`${def.arrayField}.`) || def.keyField === `ci.${def.arrayField}.${def.subField}`, def.keyField).to.equal(true);
        }
      }
    });

    it('gives every case-insensitive string attribute a lower-cased shadow key (gt/ge/lt/le in the database)', () => {
      for (const def of [...Object.values(USER_FIELDS), ...Object.values(GROUP_FIELDS)]) {
        if (!def.caseExact && (def.type === 'string' || def.type === 'reference') && def.constant === undefined) {
          expect(def.keyField, def.scimPath).to.be.a('string');
        }
      }
    });

    it('uses only plain stored field names (no "$", as FerretDB requires)', () => {
      for (const def of [...Object.values(USER_FIELDS), ...Object.values(GROUP_FIELDS)]) {
        expect(def.field.includes('$'), def.field).to.equal(false);
      }
    });
  });

  describe('resolveValuePath', () => {
    it('resolves a multi-valued complex attribute to its stored array', () => {
      expect(resolveValuePath('User', 'emails')).to.deep.equal({ name: 'emails', arrayField: 'emails' });
      expect(resolveValuePath('User', 'ADDRESSES')).to.deep.equal({ name: 'addresses', arrayField: 'addresses' });
      expect(resolveValuePath('User', `${CORE}:phoneNumbers`)).to.deep.equal({
        name: 'phonenumbers',
        arrayField: 'phoneNumbers',
      });
    });

    it('resolves groups and members, stored as arrays of ids, without an element array', () => {
      expect(resolveValuePath('User', 'groups')).to.deep.equal({ name: 'groups' });
      expect(resolveValuePath('Group', 'members')).to.deep.equal({ name: 'members' });
    });

    it('does not resolve single-valued or unknown attributes', () => {
      expect(resolveValuePath('User', 'name')).to.equal(undefined);
      expect(resolveValuePath('User', 'userName')).to.equal(undefined);
      expect(resolveValuePath('User', 'emails.value')).to.equal(undefined);
      expect(resolveValuePath('User', 'foo')).to.equal(undefined);
      expect(resolveValuePath('Group', 'emails')).to.equal(undefined);
    });
  });
});
