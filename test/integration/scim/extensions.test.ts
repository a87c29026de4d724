import { expect } from 'chai';
import { csvFile } from '../../support/import-files.js';
import { api, expectScimError, h, newOrg, PATCH_OP, userBody, type TestOrg } from '../../support/harness.js';

const URN = 'urn:ietf:params:scim:schemas:extension:contoso:2.0:User';
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

const declaration = {
  id: URN,
  name: 'ContosoUser',
  description: 'Contoso attributes',
  attributes: [
    { name: 'costCode', type: 'string', description: 'Cost code' },
    { name: 'badge', type: 'string', caseExact: true, mutability: 'immutable' },
    { name: 'level', type: 'integer' },
    { name: 'remote', type: 'boolean' },
    { name: 'hiredAt', type: 'dateTime' },
    { name: 'skills', type: 'string', multiValued: true },
    { name: 'pin', type: 'string', mutability: 'writeOnly', returned: 'never' },
    { name: 'notes', type: 'string', returned: 'request' },
    { name: 'site', type: 'complex', subAttributes: [{ name: 'building', type: 'string' }, { name: 'floor', type: 'integer' }] },
  ],
};

function admin(org: TestOrg) {
  const auth = `Bearer ${org.adminToken}`;
  return {
    get: (path: string) => api().get(`/api/v1${path}`).set('Authorization', auth),
    post: (path: string, body: unknown) => api().post(`/api/v1${path}`).set('Authorization', auth).send(body as object),
    put: (path: string, body: unknown) => api().put(`/api/v1${path}`).set('Authorization', auth).send(body as object),
  };
}

async function declared(): Promise<TestOrg> {
  const org = await newOrg();
  await admin(org).post('/schema-extensions', declaration).expect(201);
  return org;
}

describe('Custom schema extensions (README "Custom schema extensions")', () => {
  describe('side API', () => {
    it('declares an extension in RFC 7643 section 7 form, with the defaults filled in, and lists and reads it', async () => {
      const org = await newOrg();
      const created = await admin(org).post('/schema-extensions', declaration).expect(201);
      expect(created.headers.location).to.equal(`https://roster.test/api/v1/schema-extensions/${URN}`);
      expect(created.body.id).to.equal(URN);
      const costCode = created.body.attributes[0];
      expect(costCode).to.deep.equal({
        name: 'costCode', type: 'string', multiValued: false, description: 'Cost code', required: false, caseExact: false,
        mutability: 'readWrite', returned: 'default', uniqueness: 'none',
      });
      expect((await admin(org).get('/schema-extensions').expect(200)).body.total).to.equal(1);
      expect((await admin(org).get(`/schema-extensions/${URN}`).expect(200)).body.name).to.equal('ContosoUser');
      const again = await admin(org).post('/schema-extensions', declaration).expect(409);
      expect(again.headers['content-type']).to.match(/problem\+json/);
      // Another organization sees none of it.
      const other = await newOrg();
      await admin(other).get(`/schema-extensions/${URN}`).expect(404);
      expect((await admin(other).get('/schema-extensions').expect(200)).body.total).to.equal(0);
    });

    it('refuses what it cannot serve, naming it', async () => {
      const org = await newOrg();
      const bad = async (body: unknown, text: string) => {
        const res = await admin(org).post('/schema-extensions', body).expect(400);
        expect(res.body.detail).to.include(text);
      };
      await bad({ ...declaration, id: 'not a urn' }, 'URN');
      await bad({ ...declaration, id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' }, 'Roster defines');
      await bad({ id: URN, attributes: [{ name: 'a.b', type: 'string' }] }, 'attribute name');
      await bad({ id: URN, attributes: [{ name: '$x', type: 'string' }] }, 'attribute name');
      await bad({ id: URN, attributes: [{ name: 'a', type: 'string' }, { name: 'A', type: 'string' }] }, 'twice');
      await bad({ id: URN, attributes: [{ name: 'a', type: 'string', uniqueness: 'server' }] }, 'uniqueness');
      await bad({ id: URN, attributes: [{ name: 'a', type: 'string', mutability: 'readOnly' }] }, 'readOnly');
      await bad({ id: URN, attributes: [{ name: 'a', type: 'complex', multiValued: true, subAttributes: [{ name: 'b', type: 'string' }] }] }, 'multi-valued complex');
      await bad({ id: URN, attributes: [{ name: 'a', type: 'widget' }] }, 'type');
    });

    it('changes an extension only in compatible ways', async () => {
      const org = await declared();
      const next = {
        ...declaration,
        description: 'Contoso attributes, v2',
        attributes: [
          ...declaration.attributes.map((a) => (a.name === 'notes' ? { ...a, returned: 'default' } : a)),
          { name: 'region', type: 'string', canonicalValues: ['emea', 'amer'] },
        ],
      };
      const updated = await admin(org).put(`/schema-extensions/${URN}`, next).expect(200);
      expect(updated.body.meta.version).to.equal(2);
      expect(updated.body.attributes.map((a: { name: string }) => a.name)).to.include('region');
      const refuse = async (attributes: unknown[], text: string) => {
        const res = await admin(org).put(`/schema-extensions/${URN}`, { ...next, attributes }).expect(409);
        expect(res.body.detail).to.include(text);
      };
      await refuse(next.attributes.filter((a) => a.name !== 'costCode'), 'costCode was removed');
      await refuse(next.attributes.map((a) => (a.name === 'level' ? { ...a, type: 'string' } : a)), 'level.type changed');
      await refuse(next.attributes.map((a) => (a.name === 'costCode' ? { ...a, caseExact: true } : a)), 'costCode.caseExact');
      await refuse([...next.attributes, { name: 'mandatory', type: 'string', required: true }], 'mandatory is new and required');
      await admin(org).put(`/schema-extensions/urn:nope:x`, { ...next, id: 'urn:nope:x' }).expect(404);
      await admin(org).put(`/schema-extensions/${URN}`, { ...next, id: 'urn:other:x' }).expect(400);
    });
  });

  describe('discovery', () => {
    it('/Schemas and /ResourceTypes show the extension to its organization only', async () => {
      const org = await declared();
      const auth = { Authorization: `Bearer ${org.scimToken}` };
      const schemas = await api().get('/scim/v2/Schemas').set(auth).expect(200);
      const mine = schemas.body.Resources.find((s: { id: string }) => s.id === URN);
      expect(mine.schemas).to.deep.equal([SCHEMA]);
      expect(mine.attributes.map((a: { name: string }) => a.name)).to.include('costCode');
      await api().get(`/scim/v2/Schemas/${URN}`).set(auth).expect(200);
      const rt = await api().get('/scim/v2/ResourceTypes/User').set(auth).expect(200);
      expect(rt.body.schemaExtensions).to.deep.include({ schema: URN, required: false });
      // Without a token, and to another organization, it does not exist.
      expectScimError(await api().get(`/scim/v2/Schemas/${URN}`), 404);
      const other = await newOrg();
      expectScimError(await api().get(`/scim/v2/Schemas/${URN}`).set('Authorization', `Bearer ${other.scimToken}`), 404);
      const otherRt = await api().get('/scim/v2/ResourceTypes/User').set('Authorization', `Bearer ${other.scimToken}`).expect(200);
      expect(otherRt.body.schemaExtensions.map((e: { schema: string }) => e.schema)).to.not.include(URN);
      expectScimError(await api().get('/scim/v2/Schemas').set('Authorization', 'Bearer nope'), 401);
    });
  });

  describe('values', () => {
    const values = {
      costCode: 'CC-17',
      badge: 'B-1',
      level: 3,
      remote: 'True',
      hiredAt: '2024-02-01T09:00:00Z',
      skills: ['Go', 'rust'],
      pin: '1234',
      notes: 'quiet',
      site: { building: 'North', floor: 2 },
    };

    it('POST stores them (plain field names), GET returns them with returned applied, PUT and PATCH change them', async () => {
      const org = await declared();
      const created = await org.scim.post('/Users', { ...userBody('ext@example.com'), schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', URN], [URN]: values }).expect(201);
      expect(created.body.schemas).to.include(URN);
      expect(created.body[URN]).to.deep.equal({
        costCode: 'CC-17', badge: 'B-1', level: 3, remote: true, hiredAt: '2024-02-01T09:00:00.000Z', skills: ['Go', 'rust'], site: { building: 'North', floor: 2 },
      });
      const id = created.body.id as string;
      // Stored under plain names: ext.<key>.<attribute>, no "." or "$" in any key.
      const doc = (await h().store.models.User.collection.findOne({ _id: id } as never)) as Record<string, unknown>;
      const keys = (o: unknown): string[] => (o && typeof o === 'object' && !(o instanceof Date) ? Object.entries(o).flatMap(([k, v]) => [k, ...keys(v)]) : []);
      expect(keys(doc).filter((k) => k.includes('.') || k.startsWith('$'))).to.deep.equal([]);
      // The URN is no field name anywhere; a lifecycle event waiting in the document (docs/events.md)
      // holds the SCIM representation as a JSON string, which names it as text, not as a key.
      const { pendingEvents: _events, ...fields } = doc;
      expect(JSON.stringify(fields)).to.not.include(URN);
      // returned: request comes back only when asked for; never never.
      const asked = await org.scim.get(`/Users/${id}?attributes=${encodeURIComponent(`${URN}:notes`)}`).expect(200);
      expect(asked.body[URN]).to.deep.equal({ notes: 'quiet' });
      const excluded = await org.scim.get(`/Users/${id}?excludedAttributes=${encodeURIComponent(`${URN}:costCode,${URN}:site`)}`).expect(200);
      expect(excluded.body[URN]).to.not.have.property('costCode');
      expect(excluded.body[URN]).to.have.property('level', 3);
      // PUT replaces (values left out are cleared); the immutable badge keeps its value.
      const put = await org.scim.put(`/Users/${id}`, { ...userBody('ext@example.com'), [URN]: { badge: 'B-1', costCode: 'CC-18' } }).expect(200);
      expect(put.body[URN]).to.deep.equal({ badge: 'B-1', costCode: 'CC-18' });
      expectScimError(await org.scim.put(`/Users/${id}`, { ...userBody('ext@example.com'), [URN]: { badge: 'B-2' } }), 400, 'mutability');
      // PATCH by Entra ID's flattened path, by value object, and remove.
      const patched = await org.scim
        .patch(`/Users/${id}`, {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'replace', path: `${URN}:costCode`, value: 'CC-19' },
            { op: 'add', value: { [`${URN}:level`]: '5' } },
            { op: 'add', path: `${URN}:site.building`, value: 'South' },
          ],
        })
        .expect(200);
      expect(patched.body[URN]).to.deep.equal({ badge: 'B-1', costCode: 'CC-19', level: 5, site: { building: 'South' } });
      const removed = await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `${URN}:costCode` }] }).expect(200);
      expect(removed.body[URN]).to.not.have.property('costCode');
      // A flattened key in a POST body (as some providers send it).
      const flat = await org.scim.post('/Users', { ...userBody('flat@example.com'), [`${URN}:costCode`]: 'F-1' }).expect(201);
      expect(flat.body[URN]).to.deep.equal({ costCode: 'F-1' });
    });

    it('validates values: types, unknown attributes, unknown extension URNs (400 invalidValue naming them)', async () => {
      const org = await declared();
      const post = (extra: Record<string, unknown>) => org.scim.post('/Users', { ...userBody('v@example.com'), ...extra });
      const fails = async (extra: Record<string, unknown>, text: string, scimType = 'invalidValue') => {
        const res = await post(extra);
        expectScimError(res, 400, scimType);
        expect(res.body.detail).to.include(text);
      };
      await fails({ [URN]: { level: 'three' } }, `${URN}:level`);
      await fails({ [URN]: { remote: 'maybe' } }, `${URN}:remote`);
      await fails({ [URN]: { hiredAt: 'yesterday' } }, `${URN}:hiredAt`);
      await fails({ [URN]: { nope: 'x' } }, `${URN}:nope`);
      await fails({ [URN]: { costCode: ['a', 'b'] } }, 'single-valued');
      await fails({ [URN]: 'x' }, URN);
      await fails({ 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User': { a: 1 } }, 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User');
      await fails({ 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User:a': 1 }, 'fabrikam');
      // Ignored: an unknown URN the body's schemas list names, a null under an unknown URN, the readOnly lifecycle extension.
      const ignored = await post({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User'],
        'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User': { a: 1 },
        'urn:ietf:params:scim:schemas:extension:other:2.0:User': null,
        'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User': { status: 'active' },
      }).expect(201);
      expect(ignored.body).to.not.have.property('urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User');
      // PATCH paths under an undeclared URN are refused too.
      const id = (await org.scim.post('/Users', userBody('p@example.com')).expect(201)).body.id as string;
      const res = await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User:a', value: '1' }] });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User:a');
      // An unknown attribute of a declared extension is an unknown path, as for core attributes.
      expectScimError(await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: `${URN}:nope`, value: '1' }] }), 400, 'invalidPath');
      // Another organization has not declared it.
      const other = await newOrg();
      const elsewhere = await other.scim.post('/Users', { ...userBody('o@example.com'), [URN]: { costCode: 'x' } });
      expectScimError(elsewhere, 400, 'invalidValue');
      expect(elsewhere.body.detail).to.include(URN);
    });

    it('filters and sorts on extension attributes in the database, with their case rule', async () => {
      const org = await declared();
      const people: [string, Record<string, unknown>][] = [
        ['f1', { costCode: 'alpha', badge: 'B-a', level: 1, remote: true, hiredAt: '2020-01-01T00:00:00Z', skills: ['Go'], site: { building: 'North', floor: 1 } }],
        ['f2', { costCode: 'Beta', badge: 'b-A', level: 5, remote: false, hiredAt: '2022-01-01T00:00:00Z', skills: ['rust', 'go'], site: { building: 'south', floor: 3 } }],
        ['f3', { costCode: 'GAMMA', badge: 'B-A', level: 9, hiredAt: '2024-01-01T00:00:00Z' }],
      ];
      for (const [name, v] of people) await org.scim.post('/Users', { ...userBody(`${name}@example.com`), [URN]: v }).expect(201);
      const names = async (filter: string, extra = '') => {
        const res = await org.scim.get(`/Users?filter=${encodeURIComponent(filter)}${extra}`).expect(200);
        return (res.body.Resources as { userName: string }[]).map((u) => u.userName.split('@')[0]);
      };
      expect(await names(`${URN}:costCode eq "BETA"`)).to.deep.equal(['f2']);
      expect((await names(`${URN}:costCode gt "B"`)).sort()).to.deep.equal(['f2', 'f3']);
      expect(await names(`${URN}:costCode sw "gam"`)).to.deep.equal(['f3']);
      // caseExact: true compares exactly.
      expect(await names(`${URN}:badge eq "B-A"`)).to.deep.equal(['f3']);
      expect(await names(`${URN}:level ge 5 and ${URN}:level lt 9`)).to.deep.equal(['f2']);
      expect(await names(`${URN}:remote eq false`)).to.deep.equal(['f2']);
      expect((await names(`${URN}:hiredAt gt "2021-06-01T00:00:00Z"`)).sort()).to.deep.equal(['f2', 'f3']);
      expect((await names(`${URN}:skills eq "GO"`)).sort()).to.deep.equal(['f1', 'f2']);
      expect(await names(`${URN}:site.building eq "SOUTH"`)).to.deep.equal(['f2']);
      expect(await names(`${URN}:site.floor gt 2`)).to.deep.equal(['f2']);
      expect((await names(`${URN}:site.building pr or ${URN}:level pr`)).length).to.equal(3);
      expect(await names(`${URN}:level pr`, `&sortBy=${encodeURIComponent(`${URN}:costCode`)}&sortOrder=descending`)).to.deep.equal(['f3', 'f2', 'f1']);
      expect(await names(`${URN}:level pr`, `&sortBy=${encodeURIComponent(`${URN}:level`)}`)).to.deep.equal(['f1', 'f2', 'f3']);
      expectScimError(await org.scim.get(`/Users?filter=${encodeURIComponent(`${URN}:nope eq "x"`)}`), 400, 'invalidFilter');
      expectScimError(await org.scim.get(`/Users?filter=${encodeURIComponent(`${URN}:level co "1"`)}`), 400, 'invalidFilter');
      // The same filter from another organization names an unknown attribute.
      const other = await newOrg();
      expectScimError(await other.scim.get(`/Users?filter=${encodeURIComponent(`${URN}:costCode eq "x"`)}`), 400, 'invalidFilter');
    });

    it('/Bulk writes them like core attributes, and the audit trail records them', async () => {
      const org = await declared();
      const bulk = await org.scim
        .post('/Bulk', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [
            { method: 'POST', path: '/Users', bulkId: 'b1', data: { ...userBody('bulk@example.com'), [URN]: { costCode: 'BK-1' } } },
            { method: 'POST', path: '/Users', bulkId: 'b2', data: { ...userBody('bulk2@example.com'), [URN]: { level: 'x' } } },
          ],
        })
        .expect(200);
      expect(bulk.body.Operations[0].status).to.equal('201');
      expect(bulk.body.Operations[1].status).to.equal('400');
      const id = bulk.body.Operations[0].location.split('/').pop() as string;
      expect((await org.scim.get(`/Users/${id}`).expect(200)).body[URN]).to.deep.equal({ costCode: 'BK-1' });
      await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${URN}:costCode`, value: 'BK-2' }] }).expect(200);
      const audit = await admin(org).get(`/audit?userId=${id}`).expect(200);
      const changes = (audit.body.items as { action: string; changes: { path: string; old: unknown; new: unknown }[] }[]).flatMap((i) => i.changes);
      expect(changes).to.deep.include({ path: `${URN}:costCode`, old: 'BK-1', new: 'BK-2' });
      const declaredAudit = await admin(org).get('/audit?action=schema_extension.created').expect(200);
      expect(declaredAudit.body.items).to.have.length(1);
    });
  });
});

/** Uploads a CSV, awaits the job in this process (no polling) and reads it with its row errors. */
async function importAndWait(org: TestOrg, file: string) {
  const res = await api().post('/api/v1/imports').set('Authorization', `Bearer ${org.adminToken}`).set('Content-Type', 'text/csv').send(file).expect(202);
  await h().services.imports.whenDone(res.body.id as string);
  const job = await admin(org).get(`/jobs/${res.body.id}?errorsCount=100`).expect(200);
  return { job: job.body as Record<string, unknown> & { errors: { row: number; code: string; reason: string }[] } };
}

describe('Custom schema extensions in bulk imports (POST /api/v1/imports)', () => {
  it('a <URN>:<attribute> column sets the attribute like a core one; bad or undeclared values fail their row only', async () => {
    const org = await declared();
    const file = csvFile([
      ['email', `${URN}:costCode`, `${URN}:level`],
      ['imp1@example.com', 'IM-1', '4'], // 2
      ['imp2@example.com', '', 'four'], // 3: level is not an integer
      ['imp3@example.com', 'IM-3', ''], // 4
    ]);
    const { job } = await importAndWait(org, file);
    expect(job).to.include({ state: 'completed', succeeded: 2, failed: 1 });
    expect(job.errors.map((e) => [e.row, e.code])).to.deep.equal([[3, 'invalidValue']]);
    expect(job.errors[0]!.reason).to.include(`${URN}:level`);
    const found = await org.scim.get(`/Users?filter=${encodeURIComponent(`${URN}:level eq 4`)}`).expect(200);
    expect(found.body.Resources.map((u: { userName: string }) => u.userName)).to.deep.equal(['imp1@example.com']);
    expect(found.body.Resources[0][URN]).to.deep.equal({ costCode: 'IM-1', level: 4 });
    // A column under an undeclared URN fails each row that fills it, naming the URN.
    const other = await newOrg();
    const { job: job2 } = await importAndWait(other, csvFile([['email', `${URN}:costCode`], ['x@example.com', 'A']]));
    expect(job2).to.include({ succeeded: 0, failed: 1 });
    expect(job2.errors[0]!.reason).to.include(URN);
  });
});
