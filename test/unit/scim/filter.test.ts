import { expect } from 'chai';
import { ScimError } from '../../../src/scim/errors.js';
import {
  MAX_FILTER_LENGTH,
  MAX_VALUE_PATH_ELEMENTS,
  escapeRegex,
  parseDateTime,
  parseScimFilter,
  sortToMongo,
} from '../../../src/scim/filter.js';
// The tree of scim/filter.ts compiled by store/: what these tables pin down is the query that runs.
import { filterToMongo } from '../../../src/store/filter-query.js';
import type { FilterResourceType } from '../../../src/scim/field-map.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ROSTER = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

const NONE = { _id: { $exists: false } };
const present = (f: string) => ({ [f]: { $gt: '' } });
/** Same-element match spelled out over positions 0..N-1, behind the implied any-element conditions. */
const sameElement = (
  array: string,
  inner: (element: string) => Record<string, unknown>,
  implied: Record<string, unknown>[] = [],
): Record<string, unknown> => {
  const any = {
    $or: Array.from({ length: MAX_VALUE_PATH_ELEMENTS }, (_, i) => ({
      $and: [{ [`${array}.${i}`]: { $exists: true } }, inner(`${array}.${i}`)],
    })),
  };
  return implied.length === 0 ? any : { $and: [...implied, any] };
};

function expectScimError(fn: () => unknown, scimType: string, ...detailParts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a ScimError').to.be.instanceOf(ScimError);
  const err = caught as ScimError;
  expect(err.status).to.equal(400);
  expect(err.scimType).to.equal(scimType);
  for (const part of detailParts) expect(err.detail).to.include(part);
}

type Row = [description: string, filter: string, expected: Record<string, unknown>];

function runTable(resourceType: FilterResourceType, rows: Row[]): void {
  for (const [description, filter, expected] of rows) {
    it(`${description}: ${filter}`, () => {
      expect(filterToMongo(filter, resourceType)).to.deep.equal(expected);
    });
  }
}

describe('SCIM filter → MongoDB query', () => {
  describe('operators on a caseExact=false attribute with a lower-cased keyField', () => {
    runTable('User', [
      ['eq compares the lower-cased literal on the keyField', 'userName eq "BJensen"', { userNameKey: 'bjensen' }],
      ['ne compares on the keyField', 'userName ne "BJensen"', { userNameKey: { $ne: 'bjensen' } }],
      ['sw is an anchored prefix regex on the keyField', 'userName sw "BJ"', { userNameKey: { $regex: '^bj' } }],
      ['co is an unanchored regex on the keyField', 'userName co "Jen"', { userNameKey: { $regex: 'jen' } }],
      ['ew is an end-anchored regex on the keyField', 'userName ew "SEN"', { userNameKey: { $regex: 'sen$' } }],
      ['gt orders on the keyField', 'userName gt "M"', { userNameKey: { $gt: 'm' } }],
      ['ge orders on the keyField', 'displayName ge "M"', { displayNameKey: { $gte: 'm' } }],
      ['lt orders on the keyField', 'userName lt "M"', { userNameKey: { $lt: 'm' } }],
      ['le orders on the keyField', 'userName le "M"', { userNameKey: { $lte: 'm' } }],
      ['pr checks the stored value is non-empty', 'userName pr', present('userName')],
    ]);
  });

  describe('operators on a caseExact=false attribute with a shadow key in ci (store/case-keys.ts)', () => {
    runTable('User', [
      ['eq compares the lower-cased literal', 'title eq "Tour Guide"', { 'ci.title': 'tour guide' }],
      ['ne compares on the shadow key', 'title ne "Tour Guide"', { 'ci.title': { $ne: 'tour guide' } }],
      ['sw is a prefix regex on the shadow key', 'name.familyName sw "Jen"', { 'ci.name.familyName': { $regex: '^jen' } }],
      ['co is a regex on the shadow key', 'nickName co "bab"', { 'ci.nickName': { $regex: 'bab' } }],
      ['ew is an end-anchored regex on the shadow key', 'locale ew "US"', { 'ci.locale': { $regex: 'us$' } }],
      ['pr checks the stored value is non-empty', 'title pr', present('title')],
      // RFC 7644 3.4.2.2: gt/ge/lt/le are lexicographic, case-insensitive where caseExact is false.
      ['gt orders on the shadow key', 'title gt "M"', { 'ci.title': { $gt: 'm' } }],
      ['ge orders on the shadow key', `${ENT}:employeeNumber ge "A10"`, { 'ci.enterprise.employeeNumber': { $gte: 'a10' } }],
      ['lt orders on an element shadow key', 'phoneNumbers.type lt "Work"', { 'ci.phoneNumbers.type': { $lt: 'work' } }],
      ['le orders inside a value path, on the same element', 'addresses[locality le "P"]',
        sameElement('addresses', (e) => ({ [`ci.${e}.locality`]: { $lte: 'p' } }), [{ 'ci.addresses.locality': { $lte: 'p' } }])],
    ]);
  });

  describe('operators on a caseExact=true attribute', () => {
    runTable('User', [
      ['eq compares exactly', 'externalId eq "AbC"', { externalId: 'AbC' }],
      ['eq on id compares _id exactly', 'id eq "2819c223-7f76-453a-919d-413861904646"', {
        _id: '2819c223-7f76-453a-919d-413861904646',
      }],
      ['ne compares exactly', 'externalId ne "AbC"', { externalId: { $ne: 'AbC' } }],
      ['sw is a case-sensitive prefix regex', 'externalId sw "Ab"', { externalId: { $regex: '^Ab' } }],
      ['co is a case-sensitive regex', 'externalId co "bC"', { externalId: { $regex: 'bC' } }],
      ['ew is a case-sensitive end-anchored regex', 'externalId ew "C"', { externalId: { $regex: 'C$' } }],
      ['gt orders exactly', 'externalId gt "B"', { externalId: { $gt: 'B' } }],
      ['ge orders exactly', 'externalId ge "B"', { externalId: { $gte: 'B' } }],
      ['lt orders exactly', 'externalId lt "B"', { externalId: { $lt: 'B' } }],
      ['le orders exactly', 'externalId le "B"', { externalId: { $lte: 'B' } }],
      ['pr checks the stored value is non-empty', 'externalId pr', present('externalId')],
    ]);
  });

  describe('operator and attribute names are case-insensitive', () => {
    runTable('User', [
      ['upper-case operator and attribute', 'USERNAME EQ "X"', { userNameKey: 'x' }],
      ['mixed-case logical operators', 'userName Eq "a" AND title Pr', {
        $and: [{ userNameKey: 'a' }, present('title')],
      }],
      ['upper-case PR', 'title PR', present('title')],
    ]);
  });

  describe('logical operators and precedence', () => {
    runTable('User', [
      ['and binds tighter than or (RFC 7644 3.4.2.2)', 'userName eq "a" or userName eq "b" and active eq true', {
        $or: [{ userNameKey: 'a' }, { $and: [{ userNameKey: 'b' }, { active: true }] }],
      }],
      ['and on the left still binds tighter', 'userName eq "a" and active eq true or userName eq "b"', {
        $or: [{ $and: [{ userNameKey: 'a' }, { active: true }] }, { userNameKey: 'b' }],
      }],
      ['grouping overrides precedence', '(userName eq "a" or userName eq "b") and active eq true', {
        $and: [{ $or: [{ userNameKey: 'a' }, { userNameKey: 'b' }] }, { active: true }],
      }],
      ['a chain of or becomes one $or', 'userName eq "a" or userName eq "b" or userName eq "c"', {
        $or: [{ userNameKey: 'a' }, { userNameKey: 'b' }, { userNameKey: 'c' }],
      }],
      ['not is $nor, so resources without the attribute match', 'not (title eq "x")', {
        $nor: [{ 'ci.title': 'x' }],
      }],
      ['not binds tighter than and', 'not (active eq true) and userName eq "a"', {
        $and: [{ $nor: [{ active: true }] }, { userNameKey: 'a' }],
      }],
      ['not over a group', 'not (userName eq "a" or userName eq "b")', {
        $nor: [{ $or: [{ userNameKey: 'a' }, { userNameKey: 'b' }] }],
      }],
    ]);
  });

  describe('value paths and multi-valued attributes', () => {
    runTable('User', [
      ['both conditions in brackets hold on the same element', 'emails[type eq "work" and value co "@example.com"]',
        sameElement(
          'emails',
          (e) => ({ $and: [{ [`ci.${e}.type`]: 'work' }, { [`${e}.valueKey`]: { $regex: '@example\\.com' } }] }),
          [{ 'ci.emails.type': 'work' }, { 'emails.valueKey': { $regex: '@example\\.com' } }],
        )],
      ['not inside brackets applies to one existing element', 'emails[not (type eq "work")]',
        sameElement('emails', (e) => ({ $nor: [{ [`ci.${e}.type`]: 'work' }] }))],
      ['or inside brackets implies nothing up front', 'emails[type eq "work" or primary eq true]',
        sameElement('emails', (e) => ({ $or: [{ [`ci.${e}.type`]: 'work' }, { [`${e}.primary`]: true }] }))],
      ['ne inside brackets means the element differs', 'emails[type ne "work"]',
        sameElement('emails', (e) => ({ [`ci.${e}.type`]: { $ne: 'work' } }))],
      ['ne on a keyField inside brackets', 'emails[value ne "A@x.io"]',
        sameElement('emails', (e) => ({ [`${e}.valueKey`]: { $ne: 'a@x.io' } }))],
      ['pr inside brackets', 'emails[display pr]',
        sameElement('emails', (e) => present(`${e}.display`), [present('emails.display')])],
      ['a value path combined with a top-level condition', 'userName eq "a" and addresses[postalCode eq "12345"]', {
        $and: [
          { userNameKey: 'a' },
          sameElement('addresses', (e) => ({ [`ci.${e}.postalCode`]: '12345' }), [
            { 'ci.addresses.postalCode': '12345' },
          ]),
        ],
      }],
      ['a URN-qualified value path', `${CORE}:emails[type eq "work"]`,
        sameElement('emails', (e) => ({ [`ci.${e}.type`]: 'work' }), [{ 'ci.emails.type': 'work' }])],
      ['a sub-attribute outside brackets matches any element', 'emails.type eq "work"', { 'ci.emails.type': 'work' }],
      ['the bare multi-valued name means its value, on the keyField', 'emails co "Example.COM"', {
        'emails.valueKey': { $regex: 'example\\.com' },
      }],
      ['emails.value eq on the keyField of any element', 'emails.value eq "A@Example.com"', {
        'emails.valueKey': 'a@example.com',
      }],
      ['ne outside brackets means no element equals', 'emails.value ne "a@example.com"', {
        $nor: [{ 'emails.valueKey': 'a@example.com' }],
      }],
      ['pr on a multi-valued attribute needs one non-empty value', 'emails pr', present('emails.value')],
      ['a boolean sub-attribute', 'phoneNumbers.primary eq true', { 'phoneNumbers.primary': true }],
      ['pr on a boolean sub-attribute', 'emails.primary pr', { 'emails.primary': { $in: [true, false] } }],
      ['groups.value compares the stored id array', 'groups.value eq "g1"', { groupIds: 'g1' }],
      ['groups in brackets compares the stored id array', 'groups[value eq "g1"]', { groupIds: 'g1' }],
      ['groups ne means no group has the id', 'groups ne "g1"', { $nor: [{ groupIds: 'g1' }] }],
      ['groups pr needs a non-empty id', 'groups pr', present('groupIds')],
    ]);

    it(`examines the first ${MAX_VALUE_PATH_ELEMENTS} positions of the array`, () => {
      const json = JSON.stringify(filterToMongo('emails[type eq "work"]', 'User'));
      expect(json).to.include(`"ci.emails.${MAX_VALUE_PATH_ELEMENTS - 1}.type"`);
      expect(json).to.not.include(`"ci.emails.${MAX_VALUE_PATH_ELEMENTS}.type"`);
      expect(json).to.not.include('$elemMatch');
    });

    runTable('Group', [
      ['members eq compares the stored member ids', 'members eq "u1"', { memberIds: 'u1' }],
      ['members.value ne means no member has the id', 'members.value ne "u1"', { $nor: [{ memberIds: 'u1' }] }],
      ['members[value eq] compares the stored member ids', 'members[value eq "u1"]', { memberIds: 'u1' }],
    ]);
  });

  describe('the Entra ID form with a sub-attribute after the brackets', () => {
    runTable('User', [
      ['holds on the same element as the bracket filter', 'emails[type eq "work"].value eq "A@Example.com"',
        sameElement(
          'emails',
          (e) => ({ $and: [{ [`ci.${e}.type`]: 'work' }, { [`${e}.valueKey`]: 'a@example.com' }] }),
          [{ 'ci.emails.type': 'work' }, { 'emails.valueKey': 'a@example.com' }],
        )],
      ['keeps an or inside the brackets grouped', 'emails[type eq "work" or type eq "home"].value sw "a"',
        sameElement(
          'emails',
          (e) => ({
            $and: [{ $or: [{ [`ci.${e}.type`]: 'work' }, { [`ci.${e}.type`]: 'home' }] }, { [`${e}.valueKey`]: { $regex: '^a' } }],
          }),
          [{ 'emails.valueKey': { $regex: '^a' } }],
        )],
      ['combines with and after it', 'emails[type eq "work"].value eq "a@x.io" and active eq true', {
        $and: [
          sameElement(
            'emails',
            (e) => ({ $and: [{ [`ci.${e}.type`]: 'work' }, { [`${e}.valueKey`]: 'a@x.io' }] }),
            [{ 'ci.emails.type': 'work' }, { 'emails.valueKey': 'a@x.io' }],
          ),
          { active: true },
        ],
      }],
      ['works with pr', 'phoneNumbers[type eq "mobile"].value pr',
        sameElement(
          'phoneNumbers',
          (e) => ({ $and: [{ [`ci.${e}.type`]: 'mobile' }, present(`${e}.value`)] }),
          [{ 'ci.phoneNumbers.type': 'mobile' }, present('phoneNumbers.value')],
        )],
      ['leaves "]." inside a string untouched', 'emails[type eq "a]. b"].value eq "x].y"',
        sameElement(
          'emails',
          (e) => ({ $and: [{ [`ci.${e}.type`]: 'a]. b' }, { [`${e}.valueKey`]: 'x].y' }] }),
          [{ 'ci.emails.type': 'a]. b' }, { 'emails.valueKey': 'x].y' }],
        )],
    ]);

    it('parses to the same AST as the RFC form', () => {
      expect(parseScimFilter('emails[type eq "work"].value eq "a"')).to.deep.equal(
        parseScimFilter('emails[(type eq "work") and value eq "a"]'),
      );
    });
  });

  describe('URN-qualified attributes', () => {
    runTable('User', [
      ['core URN', `${CORE}:userName eq "a"`, { userNameKey: 'a' }],
      ['enterprise department', `${ENT}:department eq "Sales"`, { 'ci.enterprise.department': 'sales' }],
      ['enterprise manager means manager.value', `${ENT}:manager eq "m-1"`, { 'enterprise.manager.value': 'm-1' }],
      ['enterprise manager.value', `${ENT}:manager.value eq "m-1"`, { 'enterprise.manager.value': 'm-1' }],
      ['URN matched case-insensitively', `${ENT.toUpperCase()}:DEPARTMENT pr`, present('enterprise.department')],
      ['Roster status', `${ROSTER}:status eq "suspended"`, { status: 'suspended' }],
      ['Roster invitedAt compares dates', `${ROSTER}:invitedAt lt "2024-06-01T00:00:00Z"`, {
        invitedAt: { $lt: new Date('2024-06-01T00:00:00Z') },
      }],
    ]);
  });

  describe('dateTime attributes', () => {
    runTable('User', [
      ['gt compares a Date', 'meta.created gt "2024-01-01T00:00:00Z"', {
        created: { $gt: new Date('2024-01-01T00:00:00Z') },
      }],
      ['ge with an offset and fraction', 'meta.lastModified ge "2024-01-01T10:00:00.5+02:00"', {
        lastModified: { $gte: new Date('2024-01-01T08:00:00.500Z') },
      }],
      ['le compares a Date', 'meta.lastModified le "2024-01-01T00:00:00Z"', {
        lastModified: { $lte: new Date('2024-01-01T00:00:00Z') },
      }],
      ['eq compares a Date', 'meta.created eq "2024-01-01T00:00:00Z"', { created: new Date('2024-01-01T00:00:00Z') }],
      ['ne compares a Date', 'meta.created ne "2024-01-01T00:00:00Z"', {
        created: { $ne: new Date('2024-01-01T00:00:00Z') },
      }],
      ['pr on a dateTime', `${ROSTER}:onboardedAt pr`, { onboardedAt: { $ne: null } }],
    ]);

    for (const bad of ['yesterday', '2024-01-01', '2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01T00:00:00']) {
      it(`rejects "${bad}" with invalidFilter naming the attribute`, () => {
        expectScimError(() => filterToMongo(`meta.created gt "${bad}"`, 'User'), 'invalidFilter', '"meta.created"', bad);
      });
    }

    it('rejects a number compared with a dateTime', () => {
      expectScimError(() => filterToMongo('meta.created gt 5', 'User'), 'invalidFilter', '"meta.created"');
    });

    it('parses RFC 3339 date-times and refuses impossible ones', () => {
      expect(parseDateTime('2024-02-29T23:59:59Z')?.toISOString()).to.equal('2024-02-29T23:59:59.000Z');
      expect(parseDateTime('2023-02-29T00:00:00Z')).to.equal(undefined);
      expect(parseDateTime('2024-01-01T00:00:00+24:00')).to.equal(undefined);
    });
  });

  describe('booleans', () => {
    runTable('User', [
      ['eq true', 'active eq true', { active: true }],
      ['eq false', 'active eq false', { active: false }],
      ['ne true matches false and absent', 'active ne true', { active: { $ne: true } }],
      ['pr', 'active pr', { active: { $in: [true, false] } }],
    ]);

    it('rejects a string compared with a boolean, naming the attribute', () => {
      expectScimError(() => filterToMongo('active eq "true"', 'User'), 'invalidFilter', '"active"', 'boolean');
    });
    for (const op of ['gt', 'ge', 'lt', 'le']) {
      it(`rejects ${op} on a boolean (RFC 7644 3.4.2.2)`, () => {
        expectScimError(() => filterToMongo(`active ${op} true`, 'User'), 'invalidFilter', op, '"active"');
      });
    }
    for (const op of ['co', 'sw', 'ew']) {
      it(`rejects ${op} on a boolean`, () => {
        expectScimError(() => filterToMongo(`emails.primary ${op} true`, 'User'), 'invalidFilter', op, '"emails.primary"');
      });
    }
  });

  describe('null', () => {
    runTable('User', [
      ['eq null means not present', 'title eq null', { $nor: [present('title')] }],
      ['ne null means present', 'title ne null', present('title')],
      ['eq null on a multi-valued attribute means no value', 'emails eq null', { $nor: [present('emails.value')] }],
      ['eq null on a boolean', 'active eq null', { $nor: [{ active: { $in: [true, false] } }] }],
    ]);

    it('rejects null with an ordering operator', () => {
      expectScimError(() => filterToMongo('title gt null', 'User'), 'invalidFilter', '"title"', 'null');
    });
  });

  describe('meta.resourceType, which every resource of the endpoint has', () => {
    runTable('User', [
      ['eq "User" matches every user', 'meta.resourceType eq "User"', {}],
      ['eq "Group" matches no user', 'meta.resourceType eq "Group"', NONE],
      ['caseExact, so eq "user" matches none', 'meta.resourceType eq "user"', NONE],
      ['ne "Group" matches every user', 'meta.resourceType ne "Group"', {}],
      ['pr matches every user', 'meta.resourceType pr', {}],
      ['sw "Us" matches every user', 'meta.resourceType sw "Us"', {}],
    ]);
    runTable('Group', [['eq "Group" matches every group', 'meta.resourceType eq "Group"', {}]]);
  });

  describe('escaping', () => {
    it('escapes every regex metacharacter', () => {
      const meta = '.*+?^${}()|[]\\';
      const escaped = escapeRegex(meta);
      expect(escaped).to.equal('\\.\\*\\+\\?\\^\\$\\{\\}\\(\\)\\|\\[\\]\\\\');
      expect(new RegExp(`^${escaped}$`).test(meta)).to.equal(true);
      expect(new RegExp(`^${escapeRegex('a.c')}$`).test('abc')).to.equal(false);
    });

    runTable('User', [
      ['metacharacters in co stay literal', 'title co ".*+?^${}()|[]\\\\"', {
        'ci.title': { $regex: '\\.\\*\\+\\?\\^\\$\\{\\}\\(\\)\\|\\[\\]\\\\' },
      }],
      ['metacharacters in sw on a keyField stay literal', 'userName sw "a.b*"', { userNameKey: { $regex: '^a\\.b\\*' } }],
      ['metacharacters in eq stay literal', 'title eq "(boss)"', { 'ci.title': '(boss)' }],
      ['a $-prefixed string stays a literal value', 'userName eq "$gt"', { userNameKey: '$gt' }],
      ['a $-prefixed string on a caseExact attribute stays literal', 'externalId eq "$where"', { externalId: '$where' }],
      ['a $-prefixed string in a regex is escaped', 'title co "$ne"', { 'ci.title': { $regex: '\\$ne' } }],
      ['JSON escapes in strings are decoded once', 'externalId eq "a\\\\b\\"c\\u0041"', { externalId: 'a\\b"cA' }],
    ]);

    it('puts user input only into values, never into field names or operators', () => {
      const query = JSON.stringify(filterToMongo('userName eq "{\\"$gt\\": \\"\\"}"', 'User'));
      expect(query).to.equal(JSON.stringify({ userNameKey: '{"$gt": ""}' }));
    });

    it('rejects a NUL character that would go into a regex', () => {
      expectScimError(() => filterToMongo('title co "a\\u0000b"', 'User'), 'invalidFilter', '"title"', 'NUL');
    });
  });

  describe('errors', () => {
    const rows: [description: string, filter: string, resourceType: FilterResourceType, detailParts: string[]][] = [
      ['an unknown attribute is named', 'foo eq "x"', 'User', ['unknown attribute "foo"']],
      ['an unknown attribute in a group filter is named', 'userName eq "x"', 'Group', ['unknown attribute "userName"']],
      ['a stored-only field is unknown', 'passwordHash pr', 'User', ['unknown attribute "passwordHash"']],
      ['a shadow field is unknown', 'userNameKey eq "x"', 'User', ['unknown attribute "userNameKey"']],
      ['an unknown sub-attribute in brackets is named', 'emails[foo eq "x"]', 'User', ['unknown attribute "emails.foo"']],
      ['an unknown value-path attribute is named', 'foo[type eq "x"]', 'User', ['unknown attribute "foo"']],
      ['a single-valued attribute cannot take brackets', 'userName[value eq "x"]', 'User', ['"userName"', 'multi-valued']],
      ['nested value paths are named', 'emails[addresses[type eq "x"]]', 'User', ['addresses', 'emails']],
      ['a number against a string attribute names it', 'userName eq 5', 'User', ['"userName"', '5']],
      ['a boolean against a string attribute names it', 'userName eq true', 'User', ['"userName"']],
      ['gt on binary is refused', 'x509Certificates.value gt "a"', 'User', ['"x509Certificates.value"']],
      ['co on a dateTime is refused', 'meta.created co "2024"', 'User', ['"meta.created"', 'co']],
      ['a missing value reports the end', 'userName eq', 'User', ['end of filter', 'position 11']],
      ['an unquoted value reports its position', 'userName eq bjensen', 'User', ['position 12', 'bjensen']],
      ['an unknown operator is reported', 'userName xx "a"', 'User', ['position', 'xx']],
      ['a stray closing parenthesis is reported', 'userName eq "x" )', 'User', ['unexpected ")"', 'position 16']],
      ['an unclosed parenthesis is reported', '(userName eq "x"', 'User', ['end of filter']],
      ['an unterminated string is reported', 'userName eq "abc', 'User', ['unterminated string', 'position 12']],
      ['an invalid escape is reported', 'userName eq "a\\qb"', 'User', ['invalid string literal', 'position 12']],
      ['an unexpected character is reported', 'userName eq "a" & title pr', 'User', ['"&"', 'position 16']],
      ['"]." without a sub-attribute is reported', 'emails[type eq "work"]. eq "x"', 'User', ['"]."']],
      ['an empty filter is refused', '   ', 'User', ['empty']],
    ];
    for (const [description, filter, resourceType, detailParts] of rows) {
      it(`answers invalidFilter when ${description}: ${filter}`, () => {
        expectScimError(() => filterToMongo(filter, resourceType), 'invalidFilter', ...detailParts);
      });
    }

    it(`answers invalidFilter for a filter longer than ${MAX_FILTER_LENGTH} characters`, () => {
      const long = `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`;
      expectScimError(() => filterToMongo(long, 'User'), 'invalidFilter', `${MAX_FILTER_LENGTH} characters`);
    });

    it('answers invalidFilter, not a stack overflow, for deeply nested parentheses', () => {
      const deep = `${'('.repeat(1000)}userName eq "a"${')'.repeat(1000)}`;
      expectScimError(() => filterToMongo(deep, 'User'), 'invalidFilter', 'nested deeper');
    });

    it('answers invalidFilter, not a stack overflow, for a long chain of not', () => {
      const deep = `${'not ('.repeat(200)}userName eq "a"${')'.repeat(200)}`.slice(0, MAX_FILTER_LENGTH);
      expectScimError(() => filterToMongo(deep, 'User'), 'invalidFilter', 'nested deeper');
    });

    it('accepts nesting up to the limit', () => {
      const ok = `${'('.repeat(20)}userName eq "a"${')'.repeat(20)}`;
      expect(filterToMongo(ok, 'User')).to.deep.equal({ userNameKey: 'a' });
    });
  });
});

describe('sortToMongo', () => {
  const rows: [sortBy: string | undefined, sortOrder: string | undefined, FilterResourceType, Record<string, 1 | -1>][] = [
    [undefined, undefined, 'User', { created: 1, _id: 1 }],
    ['userName', undefined, 'User', { userNameKey: 1, _id: 1 }],
    ['USERNAME', 'DESCENDING', 'User', { userNameKey: -1, _id: -1 }],
    ['userName', 'ascending', 'User', { userNameKey: 1, _id: 1 }],
    ['displayName', 'descending', 'User', { displayNameKey: -1, _id: -1 }],
    ['externalId', undefined, 'User', { externalId: 1, _id: 1 }],
    ['name.familyName', undefined, 'User', { 'ci.name.familyName': 1, _id: 1 }],
    ['meta.created', 'Descending', 'User', { created: -1, _id: -1 }],
    ['meta.lastModified', undefined, 'User', { lastModified: 1, _id: 1 }],
    ['id', 'descending', 'User', { _id: -1 }],
    [`${ENT}:department`, undefined, 'User', { 'ci.enterprise.department': 1, _id: 1 }],
    [`${ROSTER}:invitedAt`, undefined, 'User', { invitedAt: 1, _id: 1 }],
    [`${CORE}:userName`, undefined, 'User', { userNameKey: 1, _id: 1 }],
    ['displayName', undefined, 'Group', { displayNameKey: 1, _id: 1 }],
  ];
  for (const [sortBy, sortOrder, resourceType, expected] of rows) {
    it(`sorts ${resourceType} by ${sortBy ?? 'creation'} ${sortOrder ?? '(default ascending)'} and ends with _id`, () => {
      expect(sortToMongo(sortBy, sortOrder, resourceType)).to.deep.equal(expected);
      expect(Object.keys(expected).at(-1)).to.equal('_id');
    });
  }

  it('answers invalidValue naming an unknown sortBy', () => {
    expectScimError(() => sortToMongo('foo', undefined, 'User'), 'invalidValue', '"foo"');
  });

  it('answers invalidValue naming a multi-valued sortBy', () => {
    expectScimError(() => sortToMongo('emails.value', undefined, 'User'), 'invalidValue', '"emails.value"', 'single-valued');
    expectScimError(() => sortToMongo('members', undefined, 'Group'), 'invalidValue', '"members"');
  });

  it('answers invalidValue naming a bad sortOrder', () => {
    expectScimError(() => sortToMongo('userName', 'up', 'User'), 'invalidValue', '"up"');
  });
});
