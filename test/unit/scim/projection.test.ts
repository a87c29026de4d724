import { expect } from 'chai';
import { ScimError } from '../../../src/scim/errors.js';
import { isAttributeReturned, parseAttributeList, projectResource } from '../../../src/scim/projection.js';
import { SCHEMA_URN } from '../../../src/scim/schema-types.js';

const ENTERPRISE = SCHEMA_URN.enterpriseUser;
const ROSTER = SCHEMA_URN.rosterUser;

function user(): Record<string, unknown> {
  return {
    schemas: [SCHEMA_URN.user, ENTERPRISE, ROSTER],
    id: 'u-1',
    externalId: 'ext-1',
    userName: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
    displayName: 'Ada Lovelace',
    active: true,
    password: 'secret',
    emails: [
      { value: 'ada@example.com', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home' },
    ],
    meta: {
      resourceType: 'User',
      created: '2024-01-01T00:00:00.000Z',
      lastModified: '2024-02-01T00:00:00.000Z',
      location: 'https://roster.example/scim/v2/Users/u-1',
      version: 'W/"3"',
    },
    [ENTERPRISE]: { department: 'Engineering', costCenter: 'CC-1', manager: { value: 'u-2', displayName: 'Boss' } },
    [ROSTER]: { status: 'active', invitedAt: '2024-01-01T00:00:00.000Z' },
  };
}

function group(): Record<string, unknown> {
  return {
    schemas: [SCHEMA_URN.group],
    id: 'g-1',
    displayName: 'Admins',
    members: [{ value: 'u-1', display: 'Ada', type: 'User' }],
    meta: { resourceType: 'Group', version: 'W/"1"' },
  };
}

describe('parseAttributeList', () => {
  const parsed: [unknown, string[] | undefined][] = [
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    [' , ', undefined],
    ['userName', ['userName']],
    ['userName, name.givenName ,emails', ['userName', 'name.givenName', 'emails']],
    [['userName', ' emails.value '], ['userName', 'emails.value']],
    [['userName,displayName', 'emails'], ['userName', 'displayName', 'emails']],
    [[], undefined],
  ];
  for (const [input, expected] of parsed) {
    it(`parses ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
      expect(parseAttributeList(input)).to.deep.equal(expected);
    });
  }

  const rejected: [unknown, string][] = [
    [42, 'excludedAttributes: expected a comma-separated string or an array of strings, got number'],
    [{ a: 1 }, 'excludedAttributes: expected a comma-separated string or an array of strings, got object'],
    [['userName', 7], 'excludedAttributes[1]: expected a string, got number'],
  ];
  for (const [input, detail] of rejected) {
    it(`answers 400 invalidValue naming the parameter for ${JSON.stringify(input)}`, () => {
      try {
        parseAttributeList(input, 'excludedAttributes');
        expect.fail('expected a ScimError');
      } catch (error) {
        expect(error).to.be.instanceOf(ScimError);
        const scimError = error as ScimError;
        expect(scimError.status).to.equal(400);
        expect(scimError.scimType).to.equal('invalidValue');
        expect(scimError.detail).to.equal(detail);
      }
    });
  }
});

describe('projectResource', () => {
  it('returns default and always attributes without parameters, and never the password', () => {
    const expected = user();
    delete expected.password;
    expect(projectResource(user(), 'User', {})).to.deep.equal(expected);
  });

  it('never returns password even when asked for it', () => {
    expect(projectResource(user(), 'User', { attributes: ['password', 'userName'] })).to.not.have.property('password');
  });

  it('returns only always attributes plus the named ones when attributes is given', () => {
    expect(projectResource(user(), 'User', { attributes: ['userName'] })).to.deep.equal({
      schemas: [SCHEMA_URN.user],
      id: 'u-1',
      userName: 'ada@example.com',
    });
  });

  it('keeps only the named sub-attribute of a complex attribute', () => {
    expect(projectResource(user(), 'User', { attributes: ['name.givenName'] })).to.deep.equal({
      schemas: [SCHEMA_URN.user],
      id: 'u-1',
      name: { givenName: 'Ada' },
    });
  });

  it('keeps only the named sub-attribute in every value of a multi-valued attribute', () => {
    expect(projectResource(user(), 'User', { attributes: ['emails.value'] }).emails).to.deep.equal([
      { value: 'ada@example.com' },
      { value: 'ada@home.example' },
    ]);
  });

  it('merges a whole attribute and one of its sub-attributes into the whole attribute', () => {
    expect(projectResource(user(), 'User', { attributes: ['name.givenName', 'name'] }).name).to.deep.equal(
      user().name,
    );
  });

  it('matches attribute names case-insensitively', () => {
    const projected = projectResource(user(), 'User', { attributes: ['USERNAME', 'Name.GivenName', 'META.version'] });
    expect(projected).to.deep.equal({
      schemas: [SCHEMA_URN.user],
      id: 'u-1',
      userName: 'ada@example.com',
      name: { givenName: 'Ada' },
      meta: { version: 'W/"3"' },
    });
  });

  it('accepts core attributes qualified by the core schema URN', () => {
    expect(
      projectResource(user(), 'User', { attributes: ['urn:ietf:params:scim:schemas:core:2.0:User:displayName'] }),
    ).to.have.property('displayName', 'Ada Lovelace');
  });

  it('returns a named extension attribute under its URN and lists the URN in schemas', () => {
    expect(projectResource(user(), 'User', { attributes: [`${ENTERPRISE}:department`] })).to.deep.equal({
      schemas: [SCHEMA_URN.user, ENTERPRISE],
      id: 'u-1',
      [ENTERPRISE]: { department: 'Engineering' },
    });
  });

  it('returns an extension sub-attribute such as manager.value', () => {
    expect(projectResource(user(), 'User', { attributes: [`${ENTERPRISE}:manager.value`] })[ENTERPRISE]).to.deep.equal(
      { manager: { value: 'u-2' } },
    );
  });

  it('returns a whole extension when its URN is named', () => {
    expect(projectResource(user(), 'User', { attributes: [ROSTER.toLowerCase()] })).to.deep.equal({
      schemas: [SCHEMA_URN.user, ROSTER],
      id: 'u-1',
      [ROSTER]: { status: 'active', invitedAt: '2024-01-01T00:00:00.000Z' },
    });
  });

  it('ignores unknown attribute names instead of failing', () => {
    expect(projectResource(user(), 'User', { attributes: ['nope', 'userName', 'urn:x:y:z'] })).to.deep.equal({
      schemas: [SCHEMA_URN.user],
      id: 'u-1',
      userName: 'ada@example.com',
    });
    const expected = user();
    delete expected.password;
    expect(projectResource(user(), 'User', { excludedAttributes: ['nope', 'name.nope'] })).to.deep.equal(expected);
  });

  it('drops an excluded attribute and keeps the rest', () => {
    const projected = projectResource(user(), 'User', { excludedAttributes: ['emails', 'displayName'] });
    expect(projected).to.not.have.any.keys('emails', 'displayName', 'password');
    expect(projected).to.include({ userName: 'ada@example.com', active: true });
  });

  it('never excludes always-returned attributes such as id', () => {
    expect(projectResource(user(), 'User', { excludedAttributes: ['id', 'schemas'] })).to.include.keys('id', 'schemas');
  });

  it('drops an excluded sub-attribute only', () => {
    const projected = projectResource(user(), 'User', { excludedAttributes: ['name.formatted', 'emails.type'] });
    expect(projected.name).to.deep.equal({ givenName: 'Ada', familyName: 'Lovelace' });
    expect(projected.emails).to.deep.equal([{ value: 'ada@example.com', primary: true }, { value: 'ada@home.example' }]);
  });

  it('drops an extension whose attributes are all excluded and removes its URN from schemas', () => {
    const projected = projectResource(user(), 'User', {
      excludedAttributes: [`${ROSTER}:status`, `${ROSTER}:invitedAt`],
    });
    expect(projected).to.not.have.property(ROSTER);
    expect(projected.schemas).to.deep.equal([SCHEMA_URN.user, ENTERPRISE]);
  });

  it('drops a whole extension excluded by its URN', () => {
    const projected = projectResource(user(), 'User', { excludedAttributes: [ENTERPRISE] });
    expect(projected).to.not.have.property(ENTERPRISE);
    expect(projected.schemas).to.deep.equal([SCHEMA_URN.user, ROSTER]);
    expect(projected).to.have.property(ROSTER);
  });

  it('drops a complex attribute when none of the named sub-attributes is present', () => {
    const resource = user();
    resource.name = { familyName: 'Lovelace' };
    expect(projectResource(resource, 'User', { attributes: ['name.givenName'] })).to.not.have.property('name');
  });

  it('applies excludedAttributes on top of attributes when both are given', () => {
    expect(
      projectResource(user(), 'User', { attributes: ['name', 'userName'], excludedAttributes: ['name.familyName'] }),
    ).to.deep.equal({
      schemas: [SCHEMA_URN.user],
      id: 'u-1',
      userName: 'ada@example.com',
      name: { givenName: 'Ada', formatted: 'Ada Lovelace' },
    });
  });

  it('adds an extension URN to schemas when the resource holds the extension but did not declare it', () => {
    const resource = user();
    resource.schemas = [SCHEMA_URN.user];
    expect(projectResource(resource, 'User', {}).schemas).to.deep.equal([SCHEMA_URN.user, ENTERPRISE, ROSTER]);
  });

  it('does not change the resource it is given', () => {
    const resource = user();
    projectResource(resource, 'User', { attributes: ['name.givenName'], excludedAttributes: [ENTERPRISE] });
    expect(resource).to.deep.equal(user());
  });

  it('omits Group members with excludedAttributes=members and keeps displayName', () => {
    expect(projectResource(group(), 'Group', { excludedAttributes: ['members'] })).to.deep.equal({
      schemas: [SCHEMA_URN.group],
      id: 'g-1',
      displayName: 'Admins',
      meta: { resourceType: 'Group', version: 'W/"1"' },
    });
  });

  it('does not treat Group displayName as always returned', () => {
    expect(projectResource(group(), 'Group', { attributes: ['members.value'] })).to.deep.equal({
      schemas: [SCHEMA_URN.group],
      id: 'g-1',
      members: [{ value: 'u-1' }],
    });
  });
});

describe('isAttributeReturned', () => {
  const cases: [string, { attributes?: string[]; excludedAttributes?: string[] }, boolean][] = [
    ['members', {}, true],
    ['members', { excludedAttributes: ['members'] }, false],
    ['members', { excludedAttributes: ['Members'] }, false],
    ['members', { attributes: ['displayName'] }, false],
    ['members', { attributes: ['members.value'] }, true],
    ['id', { attributes: ['displayName'] }, true],
    ['nope', {}, false],
  ];
  for (const [path, opts, expected] of cases) {
    it(`says Group ${path} is ${expected ? '' : 'not '}returned for ${JSON.stringify(opts)}`, () => {
      expect(isAttributeReturned('Group', path, opts)).to.equal(expected);
    });
  }

  it('never reports password as returned', () => {
    expect(isAttributeReturned('User', 'password', { attributes: ['password'] })).to.equal(false);
  });
});
