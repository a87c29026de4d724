import { expect } from 'chai';
import { ScimError } from '../../../src/scim/errors.js';
import { currentExtensions, extensionCaseKeys, extensionToScim, parseExtensionObject, runWithExtensions, type ExtensionDef } from '../../../src/scim/extensions.js';
import { resolveField } from '../../../src/scim/field-map.js';
import { findAttribute, listResourceSchemas } from '../../../src/scim/schemas.js';
import { fileURLToPath } from 'node:url';
import { documentedMethods } from '../../../src/http/methods.js';
import { loadOpenapiDocument } from '../../../src/http/openapi.router.js';
import { caseKeysOf } from '../../../src/store/case-keys.js';
import type { AttributeDef } from '../../../src/scim/schema-types.js';
import type { UserRecord } from '../../../src/store/user.repository.js';

const URN = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const attr = (name: string, options: Partial<AttributeDef> = {}): AttributeDef => ({
  name, type: 'string', multiValued: false, description: '', required: false, caseExact: false,
  mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...options,
});
const ext: ExtensionDef = {
  key: 'xabc',
  schema: {
    id: URN,
    name: 'Acme',
    description: '',
    attributes: [
      attr('code'),
      attr('badge', { caseExact: true }),
      attr('level', { type: 'integer' }),
      attr('ratio', { type: 'decimal' }),
      attr('remote', { type: 'boolean' }),
      attr('since', { type: 'dateTime' }),
      attr('tags', { multiValued: true }),
      attr('server', { mutability: 'readOnly' }),
      attr('site', { type: 'complex', subAttributes: [attr('building'), attr('floor', { type: 'integer' })] }),
    ],
  },
};

function scimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('expected a ScimError');
}

describe('custom schema extensions (scim/extensions.ts)', () => {
  it('parses values by type: strings, integers and decimals from text, booleans as Entra ID sends them, dateTimes as Dates', () => {
    const values = parseExtensionObject(ext, {
      CODE: 'A', level: '7', ratio: '0.5', remote: 'False', since: '2024-01-02T03:04:05Z', tags: 'one', site: { Building: 'N', floor: 2 },
    })!;
    expect(values).to.deep.equal({ code: 'A', level: 7, ratio: 0.5, remote: false, since: new Date('2024-01-02T03:04:05Z'), tags: ['one'], site: { building: 'N', floor: 2 } });
    expect(extensionToScim(values).since).to.equal('2024-01-02T03:04:05.000Z');
  });

  it('drops null and "" (cleared), ignores readOnly values, and refuses what the schema does not allow', () => {
    expect(parseExtensionObject(ext, { code: null, badge: '', server: 'x' })).to.equal(undefined);
    expect(scimError(() => parseExtensionObject(ext, { level: 1.5 })).detail).to.include(`${URN}:level`);
    expect(scimError(() => parseExtensionObject(ext, { since: '2024-01-02' })).detail).to.include('RFC 3339');
    expect(scimError(() => parseExtensionObject(ext, { code: ['a'] })).detail).to.include('single-valued');
    expect(scimError(() => parseExtensionObject(ext, { site: { wing: 'x' } })).detail).to.include(`${URN}:site.wing`);
    expect(scimError(() => parseExtensionObject(ext, { tags: Array.from({ length: 11 }, (_, i) => String(i)) })).detail).to.include('at most 10');
    const required: ExtensionDef = { key: 'k', schema: { ...ext.schema, attributes: [attr('must', { required: true })] } };
    expect(scimError(() => parseExtensionObject(required, {})).detail).to.include(`${URN}:must" is required`);
  });

  it('shadows only caseExact=false strings, lower-cased, arrays element by element', () => {
    expect(extensionCaseKeys(ext, { code: 'AbC', badge: 'XY', level: 3, tags: ['Go', 'RUST'], site: { building: 'North', floor: 1 } })).to.deep.equal({
      code: 'abc',
      tags: ['go', 'rust'],
      site: { building: 'north' },
    });
  });

  it('is visible to schemas and the field map only inside its request context', () => {
    expect(currentExtensions()).to.deep.equal([]);
    expect(resolveField('User', `${URN}:code`)).to.equal(undefined);
    runWithExtensions([ext], () => {
      expect(listResourceSchemas('User').map((s) => s.id)).to.include(URN);
      expect(listResourceSchemas('Group').map((s) => s.id)).to.not.include(URN);
      expect(findAttribute('User', `${URN}:site.floor`)?.path).to.equal(`${URN}:site.floor`);
      expect(resolveField('User', `${URN.toUpperCase()}:CODE`)).to.include({ field: 'ext.xabc.code', keyField: 'ciExt.xabc.code', sortable: true });
      expect(resolveField('User', `${URN}:badge`)).to.include({ field: 'ext.xabc.badge', caseExact: true }).and.not.have.property('keyField');
      expect(resolveField('User', `${URN}:tags`)).to.include({ multiValued: true, sortable: false });
      expect(resolveField('User', `${URN}:site.floor`)).to.include({ field: 'ext.xabc.site.floor', type: 'integer' });
      // An extension attribute may be named without its URN when no core attribute has the name.
      expect(resolveField('User', 'code')?.field).to.equal('ext.xabc.code');
    });
  });
});

describe('method table (http/methods.ts, from the served OpenAPI document)', () => {
  it('names the methods each SCIM path serves, whatever the letter case or a trailing slash', () => {
    const allowedMethods = documentedMethods(loadOpenapiDocument(fileURLToPath(new URL('../../..', import.meta.url))).paths as Record<string, Record<string, unknown>>);
    const scim = (path: string) => allowedMethods(`/scim/v2${path}`);
    expect(scim('/ServiceProviderConfig')).to.deep.equal(['GET', 'HEAD']);
    expect(scim('/schemas/urn:x:y/')).to.deep.equal(['GET', 'HEAD']);
    expect(scim('/Users')).to.deep.equal(['GET', 'HEAD', 'POST']);
    expect(scim('/users/.search')).to.deep.equal(['POST']);
    expect(scim('/Groups/123')).to.deep.equal(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
    expect(scim('/.search')).to.deep.equal(['POST']);
    expect(scim('/Bulk')).to.deep.equal(['POST']);
    expect(scim('/Users/1/2')).to.equal(undefined);
    expect(scim('/Nothing')).to.equal(undefined);
  });
});

describe('case keys (store/case-keys.ts)', () => {
  it('lower-cases every case-insensitive attribute, with arrays parallel to the stored ones', () => {
    const user = {
      nickName: 'Babs', name: { givenName: 'Ada', familyName: 'LOVELACE' }, enterprise: { employeeNumber: 'E1', manager: { value: 'm', displayName: 'Boss' } },
      phoneNumbers: [{ value: '+1' }, { value: 'X', type: 'Work' }], addresses: [{ locality: 'Paris', primary: true }],
    } as unknown as UserRecord;
    expect(caseKeysOf(user)).to.deep.equal({
      nickName: 'babs',
      name: { givenName: 'ada', familyName: 'lovelace' },
      enterprise: { employeeNumber: 'e1', manager: { displayName: 'boss' } },
      phoneNumbers: [{ value: '+1' }, { value: 'x', type: 'work' }],
      addresses: [{ locality: 'paris' }],
    });
  });
});
