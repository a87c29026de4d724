/**
 * Table-driven tests for the PATCH engine (RFC 7644 3.5.2). Each row gives a resource in its SCIM wire
 * form, the Operations, and either the whole expected resource or the expected error. Provider rows
 * cite where the provider documents the form:
 *   Entra ID: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
 *             ("Develop and plan provisioning for a SCIM endpoint", request/response examples), and
 *             https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
 *   Okta:     https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20 ("SCIM 2.0 protocol reference")
 */
import { expect } from 'chai';
import { ScimError } from '../../../src/scim/errors.js';
import { applyPatch } from '../../../src/scim/patch.js';

type Json = Record<string, unknown>;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ROSTER = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';

interface Row {
  name: string;
  resourceType?: 'User' | 'Group';
  resource?: Json;
  operations?: unknown[];
  /** A whole body, for rows about the PatchOp envelope itself. */
  body?: unknown;
  expected?: Json;
  changed?: boolean;
  error?: { scimType: string; detail: RegExp };
}

function user(): Json {
  return {
    schemas: [CORE_USER, ENT, ROSTER],
    id: 'u1',
    userName: 'alice@example.com',
    name: { givenName: 'Alice', familyName: 'Smith' },
    displayName: 'Alice Smith',
    active: true,
    emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
    [ENT]: { department: 'Eng', manager: { value: 'm1' } },
    [ROSTER]: { status: 'active' },
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-01T00:00:00Z', version: 'W/"1"' },
  };
}

function group(): Json {
  return {
    schemas: [CORE_GROUP],
    id: 'g1',
    displayName: 'Engineers',
    members: [
      { value: 'u1', display: 'Alice' },
      { value: 'u2', display: 'Bob' },
      { value: 'u3', display: 'Carol' },
    ],
    meta: { resourceType: 'Group', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-01T00:00:00Z', version: 'W/"1"' },
  };
}

/** The fixture with an edit applied: the expected resource reads as "the user, but ...". */
function edit(resource: Json, change: (copy: any) => void): Json {
  const copy = structuredClone(resource);
  change(copy);
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function run(rows: Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const resourceType = row.resourceType ?? 'User';
      const resource = row.resource ?? (resourceType === 'User' ? user() : group());
      const snapshot = structuredClone(resource);
      // Frozen, so any write to the input throws instead of passing silently.
      deepFreeze(resource);
      const body = row.body ?? { schemas: [PATCH_OP], Operations: row.operations };
      if (row.error) {
        let thrown: unknown;
        try {
          applyPatch(resource, body, resourceType);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, 'expected a ScimError').to.be.instanceOf(ScimError);
        const error = thrown as ScimError;
        expect(error.status).to.equal(400);
        expect(error.scimType).to.equal(row.error.scimType);
        expect(error.detail).to.match(row.error.detail);
      } else {
        const result = applyPatch(resource, body, resourceType);
        expect(result.resource).to.deep.equal(row.expected);
        expect(result.changed).to.equal(row.changed ?? true);
        expect(result.resource).to.not.equal(resource);
      }
      expect(resource).to.deep.equal(snapshot);
    });
  }
}

describe('applyPatch (RFC 7644 3.5.2)', () => {
  describe('PatchOp envelope', () => {
    run([
      {
        name: 'answers invalidSyntax when schemas lacks the PatchOp URN',
        body: { schemas: [CORE_USER], Operations: [{ op: 'replace', path: 'active', value: false }] },
        error: { scimType: 'invalidSyntax', detail: /PatchOp/ },
      },
      {
        name: 'answers invalidSyntax when Operations is empty',
        body: { schemas: [PATCH_OP], Operations: [] },
        error: { scimType: 'invalidSyntax', detail: /Operations/ },
      },
      {
        name: 'answers invalidSyntax when the body is not an object',
        body: 'replace everything',
        error: { scimType: 'invalidSyntax', detail: /PatchOp/ },
      },
      {
        name: 'accepts the Operations key in lower case',
        body: { schemas: [PATCH_OP], operations: [{ op: 'replace', path: 'active', value: false }] },
        expected: edit(user(), (u) => (u.active = false)),
      },
      {
        name: 'answers invalidSyntax naming an unknown op and its index',
        operations: [
          { op: 'replace', path: 'active', value: false },
          { op: 'merge', path: 'title', value: 'x' },
        ],
        error: { scimType: 'invalidSyntax', detail: /operation 2 .*"merge"/ },
      },
      {
        name: 'answers invalidValue when add has no value',
        operations: [{ op: 'add', path: 'title' }],
        error: { scimType: 'invalidValue', detail: /operation 1 \(add, path "title"\): a value is required/ },
      },
    ]);
  });

  describe('add, replace and remove on simple paths', () => {
    run([
      {
        name: 'replaces a single-valued attribute',
        operations: [{ op: 'replace', path: 'displayName', value: 'Ally' }],
        expected: edit(user(), (u) => (u.displayName = 'Ally')),
      },
      {
        name: 'adds an absent attribute',
        operations: [{ op: 'add', path: 'title', value: 'CTO' }],
        expected: edit(user(), (u) => (u.title = 'CTO')),
      },
      {
        name: 'add on a single-valued attribute that has a value replaces it',
        operations: [{ op: 'add', path: 'displayName', value: 'Ally' }],
        expected: edit(user(), (u) => (u.displayName = 'Ally')),
      },
      {
        name: 'replace of an absent attribute adds it (RFC 7644 3.5.2.3)',
        operations: [{ op: 'replace', path: 'nickName', value: 'Al' }],
        expected: edit(user(), (u) => (u.nickName = 'Al')),
      },
      {
        name: 'matches attribute names case-insensitively and writes the canonical name',
        operations: [{ op: 'replace', path: 'DISPLAYNAME', value: 'Ally' }, { op: 'add', path: 'Name.GivenName', value: 'Al' }],
        expected: edit(user(), (u) => {
          u.displayName = 'Ally';
          u.name.givenName = 'Al';
        }),
      },
      {
        name: 'sets a sub-attribute with attr.sub',
        operations: [{ op: 'add', path: 'name.middleName', value: 'Q' }],
        expected: edit(user(), (u) => (u.name.middleName = 'Q')),
      },
      {
        name: 'replace of a complex attribute merges the given sub-attributes (RFC 7644 3.5.2.3)',
        operations: [{ op: 'replace', path: 'name', value: { givenName: 'Al' } }],
        expected: edit(user(), (u) => (u.name.givenName = 'Al')),
      },
      {
        name: 'accepts a core-URN-qualified path',
        operations: [{ op: 'replace', path: `${CORE_USER}:name.familyName`, value: 'Jones' }],
        expected: edit(user(), (u) => (u.name.familyName = 'Jones')),
      },
      {
        name: 'removes a whole attribute',
        operations: [{ op: 'remove', path: 'displayName' }],
        expected: edit(user(), (u) => delete u.displayName),
      },
      {
        name: 'removes a sub-attribute',
        operations: [{ op: 'remove', path: 'name.givenName' }],
        expected: edit(user(), (u) => delete u.name.givenName),
      },
      {
        name: 'removing an absent attribute changes nothing',
        operations: [{ op: 'remove', path: 'title' }],
        expected: user(),
        changed: false,
      },
      {
        name: 'reports changed false when the value is already there',
        operations: [{ op: 'replace', path: 'active', value: true }],
        expected: user(),
        changed: false,
      },
      {
        name: 'merges a path-less value of attributes (RFC 7644 3.5.2.1)',
        operations: [{ op: 'add', value: { title: 'CTO', name: { middleName: 'Q' } } }],
        expected: edit(user(), (u) => {
          u.title = 'CTO';
          u.name.middleName = 'Q';
        }),
      },
      {
        name: 'unassigns a sub-attribute given as null inside an object value',
        operations: [{ op: 'replace', path: 'name', value: { givenName: null, middleName: 'Q' } }],
        expected: edit(user(), (u) => {
          delete u.name.givenName;
          u.name.middleName = 'Q';
        }),
      },
      {
        name: 'reads the op, path and value members case-insensitively',
        operations: [{ Op: 'Replace', Path: 'title', Value: 'CTO' }],
        expected: edit(user(), (u) => (u.title = 'CTO')),
      },
      {
        name: 'sets password for the domain to hash (Okta password sync)',
        operations: [{ op: 'replace', path: 'password', value: 's3cret!' }],
        expected: edit(user(), (u) => (u.password = 's3cret!')),
      },
    ]);
  });

  describe('extension attributes', () => {
    run([
      {
        name: 'replaces an enterprise attribute by URN-qualified path',
        operations: [{ op: 'replace', path: `${ENT}:department`, value: 'Ops' }],
        expected: edit(user(), (u) => (u[ENT].department = 'Ops')),
      },
      {
        name: 'creates the extension object and lists its schema when it was absent',
        resource: edit(user(), (u) => {
          delete u[ENT];
          u.schemas = [CORE_USER, ROSTER];
        }),
        operations: [{ op: 'add', path: `${ENT}:employeeNumber`, value: '42' }],
        expected: edit(user(), (u) => {
          u[ENT] = { employeeNumber: '42' };
          u.schemas = [CORE_USER, ROSTER, ENT];
        }),
      },
      {
        name: 'merges a whole extension object given under its URN key',
        operations: [{ op: 'add', value: { [ENT]: { costCenter: 'CC1', division: 'R&D' } } }],
        expected: edit(user(), (u) => Object.assign(u[ENT], { costCenter: 'CC1', division: 'R&D' })),
      },
      {
        name: 'accepts the extension URN itself as the path with an object value',
        operations: [{ op: 'replace', path: ENT, value: { department: 'Ops' } }],
        expected: edit(user(), (u) => (u[ENT].department = 'Ops')),
      },
      {
        name: 'ignores the schemas a client echoes inside an extension object (scim2-models does)',
        operations: [
          { op: 'add', path: ENT, value: { schemas: [ENT], department: 'Ops' } },
          { op: 'replace', value: { [ENT]: { Schemas: [ENT], division: 'R&D' } } },
        ],
        expected: edit(user(), (u) => Object.assign(u[ENT], { department: 'Ops', division: 'R&D' })),
      },
      {
        name: 'removes the extension object and its schema once its last attribute goes',
        resource: edit(user(), (u) => (u[ENT] = { department: 'Eng' })),
        operations: [{ op: 'remove', path: `${ENT}:department` }],
        expected: edit(user(), (u) => {
          delete u[ENT];
          u.schemas = [CORE_USER, ROSTER];
        }),
      },
    ]);
  });

  describe('value filters', () => {
    const contacts = edit(user(), (u) => {
      u.emails = [
        { value: 'alice@example.com', type: 'work', primary: true },
        { value: 'alice@home.example', type: 'home' },
      ];
      u.phoneNumbers = [
        { value: '+1 555 0100', type: 'work' },
        { value: '+1 555 0199', type: 'mobile' },
      ];
    });
    run([
      {
        name: 'replaces a sub-attribute of the elements matched by eq',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'al@home.example' }],
        expected: edit(contacts, (u) => (u.emails[1].value = 'al@home.example')),
      },
      {
        name: 'compares caseExact=false sub-attributes case-insensitively',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[value eq "ALICE@HOME.EXAMPLE"].display', value: 'Home' }],
        expected: edit(contacts, (u) => (u.emails[1].display = 'Home')),
      },
      {
        name: 'supports ne',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[type ne "work"].display', value: 'x' }],
        expected: edit(contacts, (u) => (u.emails[1].display = 'x')),
      },
      {
        name: 'supports co',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[value co "HOME"].display', value: 'x' }],
        expected: edit(contacts, (u) => (u.emails[1].display = 'x')),
      },
      {
        name: 'supports sw',
        resource: contacts,
        operations: [{ op: 'replace', path: 'phoneNumbers[value sw "+1 555 01"].display', value: 'x' }],
        expected: edit(contacts, (u) => {
          u.phoneNumbers[0].display = 'x';
          u.phoneNumbers[1].display = 'x';
        }),
      },
      {
        name: 'supports ew',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[value ew ".example"].display', value: 'x' }],
        expected: edit(contacts, (u) => (u.emails[1].display = 'x')),
      },
      {
        name: 'supports pr',
        resource: contacts,
        operations: [{ op: 'remove', path: 'emails[primary pr]' }],
        expected: edit(contacts, (u) => u.emails.splice(0, 1)),
      },
      {
        name: 'supports gt, ge, lt and le on strings',
        resource: contacts,
        operations: [
          { op: 'replace', path: 'phoneNumbers[value gt "+1 555 0150"].display', value: 'gt' },
          { op: 'replace', path: 'phoneNumbers[value le "+1 555 0100"].display', value: 'le' },
          { op: 'replace', path: 'emails[type lt "w"].display', value: 'lt' },
          { op: 'replace', path: 'emails[type ge "w"].display', value: 'ge' },
        ],
        expected: edit(contacts, (u) => {
          u.phoneNumbers[1].display = 'gt';
          u.phoneNumbers[0].display = 'le';
          u.emails[1].display = 'lt';
          u.emails[0].display = 'ge';
        }),
      },
      {
        name: 'supports and, or, not and grouping',
        resource: contacts,
        operations: [
          { op: 'replace', path: 'emails[type eq "work" and primary eq true].display', value: 'a' },
          { op: 'replace', path: 'phoneNumbers[not (type eq "work") or value eq "none"].display', value: 'b' },
        ],
        expected: edit(contacts, (u) => {
          u.emails[0].display = 'a';
          u.phoneNumbers[1].display = 'b';
        }),
      },
      {
        name: 'merges an object value into the elements a filter selects',
        resource: contacts,
        operations: [{ op: 'replace', path: 'emails[type eq "home"]', value: { display: 'Home', primary: true } }],
        expected: edit(contacts, (u) => {
          u.emails[1] = { value: 'alice@home.example', type: 'home', display: 'Home', primary: true };
          delete u.emails[0].primary;
        }),
      },
      {
        name: 'removes the elements a filter selects',
        resource: contacts,
        operations: [{ op: 'remove', path: 'phoneNumbers[type eq "mobile"]' }],
        expected: edit(contacts, (u) => u.phoneNumbers.splice(1, 1)),
      },
      {
        name: 'removes a sub-attribute of the selected elements',
        resource: contacts,
        operations: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
        expected: edit(contacts, (u) => delete u.emails[0].primary),
      },
      {
        name: 'remove with a filter that matches nothing changes nothing (RFC 7644 3.5.2.2 has no noTarget for it)',
        resource: contacts,
        operations: [{ op: 'remove', path: 'emails[type eq "other"]' }],
        expected: contacts,
        changed: false,
      },
      {
        name: 'removes the attribute when its last element is removed',
        operations: [{ op: 'remove', path: 'emails[value eq "alice@example.com"]' }],
        expected: edit(user(), (u) => delete u.emails),
      },
    ]);
  });

  describe('filtered paths that match nothing', () => {
    run([
      {
        // Entra ID: {"op":"Add","path":"emails[type eq \"work\"].value","value":"..."} (Develop and plan provisioning, "Update User [Multi-valued properties]")
        name: 'creates the element from the filter equalities for Entra ID emails[type eq "work"].value',
        resource: edit(user(), (u) => delete u.emails),
        operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'alice@work.example' }],
        expected: edit(user(), (u) => (u.emails = [{ type: 'work', value: 'alice@work.example' }])),
      },
      {
        name: 'merges several sub-attribute operations for one filter into one element',
        operations: [
          { op: 'Replace', path: 'addresses[type eq "work"].country', value: 'AU' },
          { op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Sydney' },
          { op: 'Replace', path: 'addresses[type eq "work"].formatted', value: '1 George St' },
        ],
        expected: edit(user(), (u) => (u.addresses = [{ type: 'work', country: 'AU', locality: 'Sydney', formatted: '1 George St' }])),
      },
      {
        name: 'matches the filter equality case-insensitively instead of creating a second element',
        resource: edit(user(), (u) => (u.emails = [{ value: 'alice@example.com', type: 'Work' }])),
        operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'alice@new.example' }],
        expected: edit(user(), (u) => (u.emails = [{ value: 'alice@new.example', type: 'Work' }])),
      },
      {
        name: 'seeds every equality of an and-filter, coerced to its type, and keeps one primary',
        operations: [{ op: 'add', path: 'emails[type eq "home" and primary eq true].value', value: 'al@home.example' }],
        expected: edit(user(), (u) => {
          delete u.emails[0].primary;
          u.emails.push({ type: 'home', primary: true, value: 'al@home.example' });
        }),
      },
      {
        name: 'answers noTarget for replace when the filter has no equality to build an element from',
        operations: [{ op: 'replace', path: 'emails[value co "nobody"].type', value: 'home' }],
        error: { scimType: 'noTarget', detail: /operation 1 \(replace, path "emails\[value co "nobody"\]\.type"\)/ },
      },
      {
        name: 'clearing a sub-attribute of an element that does not exist changes nothing',
        operations: [{ op: 'Replace', path: 'phoneNumbers[type eq "fax"].value', value: '' }],
        expected: user(),
        changed: false,
      },
    ]);
  });

  describe('multi-valued attributes', () => {
    run([
      {
        name: 'add merges new elements into the list',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'al@home.example', type: 'home' }] }],
        expected: edit(user(), (u) => u.emails.push({ value: 'al@home.example', type: 'home' })),
      },
      {
        name: 'add never duplicates an element already present (value compared case-insensitively)',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'ALICE@example.com', type: 'work' }] }],
        expected: user(),
        changed: false,
      },
      {
        name: 'a new primary element clears the old primary',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'al@home.example', type: 'home', primary: true }] }],
        expected: edit(user(), (u) => {
          delete u.emails[0].primary;
          u.emails.push({ value: 'al@home.example', type: 'home', primary: true });
        }),
      },
      {
        name: 'answers invalidValue when one value makes two elements primary',
        operations: [
          {
            op: 'replace',
            path: 'emails',
            value: [
              { value: 'a@example.com', primary: true },
              { value: 'b@example.com', primary: true },
            ],
          },
        ],
        error: { scimType: 'invalidValue', detail: /operation 1 .*primary/ },
      },
      {
        name: 'replace swaps the whole list',
        operations: [{ op: 'replace', path: 'emails', value: [{ value: 'new@example.com', type: 'work' }] }],
        expected: edit(user(), (u) => (u.emails = [{ value: 'new@example.com', type: 'work' }])),
      },
      {
        name: 'accepts a single object for a multi-valued attribute',
        operations: [{ op: 'add', path: 'roles', value: { value: 'admin' } }],
        expected: edit(user(), (u) => (u.roles = [{ value: 'admin' }])),
      },
      {
        name: 'removes the whole multi-valued attribute without a filter',
        operations: [{ op: 'remove', path: 'emails' }],
        expected: edit(user(), (u) => delete u.emails),
      },
      {
        name: 'removes exactly the elements listed in a remove value, for any multi-valued attribute',
        resource: edit(user(), (u) => (u.roles = [{ value: 'admin' }, { value: 'user' }])),
        operations: [{ op: 'remove', path: 'roles', value: [{ value: 'ADMIN' }] }],
        expected: edit(user(), (u) => (u.roles = [{ value: 'user' }])),
      },
    ]);
  });

  describe('groups', () => {
    run([
      {
        // Entra ID: {"op":"Add","path":"members","value":[{"value":"id"}]} (Develop and plan provisioning, "Update Group [Add Members]")
        name: 'adds members and skips one already present (Entra ID Add members)',
        resourceType: 'Group',
        operations: [{ op: 'Add', path: 'members', value: [{ value: 'u4' }, { value: 'u1' }] }],
        expected: edit(group(), (g) => g.members.push({ value: 'u4' })),
      },
      {
        // Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]} (Develop and plan provisioning, "Update Group [Remove Members]")
        name: 'removes exactly the members in the value array (Entra ID Remove members)',
        resourceType: 'Group',
        operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u3' }] }],
        expected: edit(group(), (g) => (g.members = [{ value: 'u2', display: 'Bob' }])),
      },
      {
        // Okta: {"op":"remove","path":"members[value eq \"id\"]"} (SCIM 2.0 protocol reference, "Update a specific Group name / membership")
        name: 'removes the member a filtered path selects (Okta and Entra ID)',
        resourceType: 'Group',
        operations: [{ op: 'remove', path: 'members[value eq "u2"]' }],
        expected: edit(group(), (g) => g.members.splice(1, 1)),
      },
      {
        // Okta sends display with members; the server derives it (readOnly), so it is dropped.
        name: 'drops the readOnly display Okta sends with new members',
        resourceType: 'Group',
        operations: [{ op: 'add', path: 'members', value: [{ value: 'u9', display: 'Zed' }] }],
        expected: edit(group(), (g) => g.members.push({ value: 'u9' })),
      },
      {
        // Entra ID renames a group with {"op":"Replace","value":{"id":"...","displayName":"..."}}; Okta does the same.
        name: 'ignores id, meta and schemas echoed in a path-less value (group rename)',
        resourceType: 'Group',
        operations: [{ op: 'Replace', value: { id: 'g1', schemas: [CORE_GROUP], meta: {}, displayName: 'Builders' } }],
        expected: edit(group(), (g) => (g.displayName = 'Builders')),
      },
      {
        name: 'removing every member leaves the group without members',
        resourceType: 'Group',
        operations: [{ op: 'remove', path: 'members' }],
        expected: edit(group(), (g) => delete g.members),
      },
      {
        name: 'answers invalidValue when the required displayName is cleared',
        resourceType: 'Group',
        operations: [{ op: 'replace', path: 'displayName', value: '' }],
        error: { scimType: 'invalidValue', detail: /operation 1 \(replace, path "displayName"\): .*required/ },
      },
      {
        name: 'answers mutability when an existing member value would change (immutable)',
        resourceType: 'Group',
        operations: [{ op: 'replace', path: 'members[value eq "u1"].value', value: 'u7' }],
        error: { scimType: 'mutability', detail: /operation 1 .*immutable/ },
      },
    ]);
  });

  describe('Entra ID forms', () => {
    run([
      {
        // Entra ID capitalises ops: "Replace", "Add", "Remove" (Develop and plan provisioning, request examples).
        name: 'accepts capitalised op names',
        operations: [
          { op: 'Replace', path: 'title', value: 'CTO' },
          { op: 'ADD', path: 'nickName', value: 'Al' },
          { op: 'Remove', path: 'displayName' },
        ],
        expected: edit(user(), (u) => {
          u.title = 'CTO';
          u.nickName = 'Al';
          delete u.displayName;
        }),
      },
      {
        // Entra ID sends booleans as strings ("False"): Known issues with SCIM 2.0 compliance, "Boolean values".
        name: 'coerces "False" and "True" to booleans for boolean attributes',
        operations: [
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Add', path: 'emails[type eq "work"].primary', value: 'TRUE' },
        ],
        expected: edit(user(), (u) => (u.active = false)),
      },
      {
        name: 'coerces a string boolean inside a path-less value',
        operations: [{ op: 'Replace', value: { active: 'false' } }],
        expected: edit(user(), (u) => (u.active = false)),
      },
      {
        // Entra ID: {"op":"Replace","value":{"name.givenName":"...","urn:...:User:employeeNumber":"..."}}
        name: 'applies dotted and URN-prefixed keys in a path-less value',
        operations: [{ op: 'Replace', value: { 'name.givenName': 'A', [`${ENT}:employeeNumber`]: '7' } }],
        expected: edit(user(), (u) => {
          u.name.givenName = 'A';
          u[ENT].employeeNumber = '7';
        }),
      },
      {
        // Entra ID: {"op":"Add","path":"urn:...:enterprise:2.0:User:manager","value":"id"}
        name: 'normalises a manager sent as a plain id string',
        operations: [{ op: 'Add', path: `${ENT}:manager`, value: 'm2' }],
        expected: edit(user(), (u) => (u[ENT].manager = { value: 'm2' })),
      },
      {
        name: 'normalises a manager sent as [{value, $ref}]',
        operations: [{ op: 'Replace', path: `${ENT}:manager`, value: [{ value: 'm3', $ref: '../Users/m3' }] }],
        expected: edit(user(), (u) => (u[ENT].manager = { value: 'm3' })),
      },
      {
        name: 'replaces the manager whole instead of merging into the old one',
        resource: edit(user(), (u) => (u[ENT].manager = { value: 'm1', $ref: '../Users/m1' })),
        operations: [{ op: 'Replace', path: `${ENT}:manager`, value: { value: 'm4' } }],
        expected: edit(user(), (u) => (u[ENT].manager = { value: 'm4' })),
      },
      {
        // Entra ID clears the manager with value "" (or null): Develop and plan provisioning, "Update User [Remove manager]".
        name: 'clears the manager when replaced with ""',
        operations: [{ op: 'Replace', path: `${ENT}:manager`, value: '' }],
        expected: edit(user(), (u) => delete u[ENT].manager),
      },
      {
        name: 'clears an optional attribute when replaced with null',
        operations: [{ op: 'Replace', path: `${ENT}:manager`, value: null }, { op: 'Replace', path: 'displayName', value: null }],
        expected: edit(user(), (u) => {
          delete u[ENT].manager;
          delete u.displayName;
        }),
      },
      {
        name: 'clears the manager given as an empty URN-prefixed key in a path-less value',
        operations: [{ op: 'Replace', value: { [`${ENT}:manager`]: '' } }],
        expected: edit(user(), (u) => delete u[ENT].manager),
      },
      {
        name: 'treats an element given as a bare id as its value',
        resourceType: 'Group',
        operations: [{ op: 'Add', path: 'members', value: ['u5'] }],
        expected: edit(group(), (g) => g.members.push({ value: 'u5' })),
      },
    ]);
  });

  describe('Okta forms', () => {
    run([
      {
        // Okta deactivates with {"op":"replace","value":{"active":false}} (SCIM 2.0 protocol reference, "Update a specific User (PATCH)").
        name: 'deactivates with a path-less replace of active',
        operations: [{ op: 'replace', value: { active: false } }],
        expected: edit(user(), (u) => (u.active = false)),
      },
      {
        name: 'sets the password with a path-less replace',
        operations: [{ op: 'replace', value: { password: 'n3w-pass' } }],
        expected: edit(user(), (u) => (u.password = 'n3w-pass')),
      },
    ]);
  });

  describe('mutability', () => {
    run([
      {
        name: 'answers mutability when a path targets readOnly id',
        operations: [{ op: 'replace', path: 'id', value: 'other' }],
        error: { scimType: 'mutability', detail: /operation 1 \(replace, path "id"\): "id" is readOnly/ },
      },
      {
        name: 'answers mutability when a path targets readOnly meta',
        operations: [{ op: 'replace', path: 'meta.version', value: 'W/"9"' }],
        error: { scimType: 'mutability', detail: /path "meta\.version".*readOnly/ },
      },
      {
        name: 'answers mutability when a path targets readOnly groups',
        operations: [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }],
        error: { scimType: 'mutability', detail: /"groups" is readOnly/ },
      },
      {
        name: 'answers mutability when a path targets a Roster lifecycle attribute',
        operations: [{ op: 'replace', path: `${ROSTER}:status`, value: 'suspended' }],
        error: { scimType: 'mutability', detail: /"status" is readOnly/ },
      },
      {
        name: 'answers mutability when a path-less value changes a readOnly attribute',
        operations: [{ op: 'replace', value: { [ROSTER]: { status: 'suspended' } } }],
        error: { scimType: 'mutability', detail: /"status" is readOnly/ },
      },
      {
        name: 'ignores a readOnly attribute echoed unchanged in a path-less value',
        operations: [{ op: 'replace', value: { [ROSTER]: { status: 'active' }, title: 'CTO' } }],
        expected: edit(user(), (u) => (u.title = 'CTO')),
      },
      {
        name: 'ignores an empty readOnly list echoed where the resource has none (groups: [])',
        operations: [{ op: 'replace', value: { groups: [], title: 'CTO' } }],
        expected: edit(user(), (u) => (u.title = 'CTO')),
      },
      {
        name: 'answers mutability on removing readOnly meta',
        operations: [{ op: 'remove', path: 'meta' }],
        error: { scimType: 'mutability', detail: /"meta" is readOnly/ },
      },
      {
        name: 'lets an immutable sub-attribute be set on a new element',
        resourceType: 'Group',
        operations: [{ op: 'add', path: 'members[value eq "u8"].type', value: 'User' }],
        expected: edit(group(), (g) => g.members.push({ value: 'u8', type: 'User' })),
      },
      {
        name: 'answers invalidValue when required userName is removed',
        operations: [{ op: 'remove', path: 'userName' }],
        error: { scimType: 'invalidValue', detail: /"userName" is required/ },
      },
    ]);
  });

  describe('invalid paths and values', () => {
    run([
      {
        name: 'answers invalidPath naming an unknown attribute',
        operations: [{ op: 'replace', path: 'title', value: 'x' }, { op: 'replace', path: 'favouriteColour', value: 'red' }],
        error: { scimType: 'invalidPath', detail: /operation 2 .*unknown attribute "favouriteColour"/ },
      },
      {
        name: 'answers invalidPath naming an unknown key in a path-less value',
        operations: [{ op: 'add', value: { shoeSize: 9 } }],
        error: { scimType: 'invalidPath', detail: /operation 1 \(add, path "shoeSize"\)/ },
      },
      {
        name: 'answers invalidPath for an unknown sub-attribute',
        operations: [{ op: 'replace', path: 'name.nickname', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /path "name\.nickname"/ },
      },
      {
        name: 'answers invalidPath for an unclosed bracket',
        operations: [{ op: 'replace', path: 'emails[type eq "work".value', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /operation 1 .*brackets/ },
      },
      {
        name: 'answers invalidPath for a stray closing bracket',
        operations: [{ op: 'replace', path: 'emails]', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /brackets/ },
      },
      {
        name: 'answers invalidPath for an unparsable value filter',
        operations: [{ op: 'replace', path: 'emails[type eq].value', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /invalid value filter/ },
      },
      {
        name: 'answers invalidPath for a filter on an unknown sub-attribute',
        operations: [{ op: 'remove', path: 'emails[colour eq "red"]' }],
        error: { scimType: 'invalidPath', detail: /unknown sub-attribute "colour"/ },
      },
      {
        name: 'answers invalidPath for a value filter on a single-valued attribute',
        operations: [{ op: 'replace', path: 'name[givenName eq "Alice"].familyName', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /multi-valued/ },
      },
      {
        name: 'answers invalidPath for a sub-attribute of a multi-valued attribute without a filter',
        operations: [{ op: 'replace', path: 'emails.value', value: 'x' }],
        error: { scimType: 'invalidPath', detail: /value filter/ },
      },
      {
        name: 'answers invalidValue naming op index and path for an object given to a string',
        operations: [{ op: 'add', path: 'title', value: 'CTO' }, { op: 'replace', path: 'displayName', value: { first: 'A' } }],
        error: { scimType: 'invalidValue', detail: /operation 2 \(replace, path "displayName"\): "displayName" expects a string/ },
      },
      {
        name: 'answers invalidValue for a non-boolean string given to a boolean',
        operations: [{ op: 'replace', path: 'active', value: 'maybe' }],
        error: { scimType: 'invalidValue', detail: /"active" expects a boolean/ },
      },
      {
        name: 'answers invalidValue for a path-less value that is not an object',
        operations: [{ op: 'replace', value: 'inactive' }],
        error: { scimType: 'invalidValue', detail: /operation 1 \(replace, no path\)/ },
      },
      {
        // RFC 7644 3.5.2.2: "If "path" is unspecified, the operation fails with ... noTarget".
        name: 'answers noTarget for remove without a path',
        operations: [{ op: 'remove' }],
        error: { scimType: 'noTarget', detail: /operation 1 \(remove, no path\)/ },
      },
    ]);
  });

  describe('all-or-nothing and purity', () => {
    run([
      {
        name: 'a failing second operation throws and leaves the input untouched',
        operations: [
          { op: 'replace', path: 'displayName', value: 'Changed' },
          { op: 'replace', path: 'id', value: 'x' },
        ],
        error: { scimType: 'mutability', detail: /operation 2/ },
      },
      {
        name: 'a failing third operation after list edits leaves the input untouched',
        operations: [
          { op: 'add', path: 'emails', value: [{ value: 'x@example.com', primary: true }] },
          { op: 'remove', path: `${ENT}:manager` },
          { op: 'add', path: 'bogus', value: 1 },
        ],
        error: { scimType: 'invalidPath', detail: /operation 3/ },
      },
    ]);

    it('returns a new object that shares no nested object with the input', () => {
      const input = user();
      const { resource } = applyPatch(input, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, 'User');
      (resource['name'] as Json)['givenName'] = 'Mutated';
      (resource['emails'] as Json[]).push({ value: 'z@example.com' });
      expect(input).to.deep.equal(user());
    });

    it('keeps meta dates that are Date objects and reports no change when none was made', () => {
      const created = new Date('2024-01-01T00:00:00Z');
      const input = edit(user(), (u) => (u.meta.created = created));
      input['meta'] = { ...(input['meta'] as Json), created };
      const { resource, changed } = applyPatch(input, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] }, 'User');
      expect((resource['meta'] as Json)['created']).to.deep.equal(created);
      expect(changed).to.equal(false);
    });
  });
});
