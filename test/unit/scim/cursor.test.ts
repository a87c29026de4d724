import { expect } from 'chai';
import {
  decodeCursor,
  encodeCursor,
  keysetCondition,
  queryFingerprint,
  reverseSort,
  sortKeyOf,
} from '../../../src/scim/cursor.js';
import { ScimError } from '../../../src/scim/errors.js';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const LATER = NOW + 60_000;

function scimErrorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ScimError);
    return err as ScimError;
  }
  throw new Error('expected a ScimError');
}

describe('RFC 9865 cursors (scim/cursor.ts)', () => {
  describe('encodeCursor / decodeCursor', () => {
    const fp = queryFingerprint(['userName eq "a"', { userNameKey: 1 }]);

    it('round-trips direction and key values, dates included', () => {
      const created = new Date('2026-01-02T03:04:05.000Z');
      const key = ['ada', 3, true, null, created, 'id-1'];
      for (const direction of ['next', 'previous'] as const) {
        const decoded = decodeCursor(encodeCursor(direction, key, fp, LATER), fp, key.length, NOW);
        expect(decoded.direction).to.equal(direction);
        expect(decoded.key).to.deep.equal(key);
      }
    });

    it('issues URL-safe opaque strings', () => {
      expect(encodeCursor('next', ['a', 'b'], fp, LATER)).to.match(/^[A-Za-z0-9_-]+$/);
    });

    const refusals: Array<{ name: string; cursor: () => string; keyLength?: number; now?: number; scimType: string; detail: RegExp }> = [
      { name: 'a string with characters outside base64url', cursor: () => 'abc+/=', scimType: 'invalidCursor', detail: /not a cursor this server issued/ },
      { name: 'base64url that is not JSON', cursor: () => Buffer.from('not json').toString('base64url'), scimType: 'invalidCursor', detail: /not a cursor/ },
      { name: 'JSON of another shape', cursor: () => Buffer.from('{"v":2}').toString('base64url'), scimType: 'invalidCursor', detail: /not a cursor/ },
      { name: 'a key of the wrong length', cursor: () => encodeCursor('next', ['a'], fp, LATER), keyLength: 2, scimType: 'invalidCursor', detail: /not a cursor/ },
      { name: 'an over-long cursor', cursor: () => 'a'.repeat(5000), scimType: 'invalidCursor', detail: /not a cursor/ },
      { name: 'a cursor of another query', cursor: () => encodeCursor('next', ['a', 'b'], queryFingerprint(['other']), LATER), scimType: 'invalidCursor', detail: /different filter or sort/ },
      { name: 'an expired cursor', cursor: () => encodeCursor('next', ['a', 'b'], fp, NOW - 1), scimType: 'expiredCursor', detail: /expired/ },
    ];
    for (const c of refusals) {
      it(`answers 400 ${c.scimType} for ${c.name}`, () => {
        const err = scimErrorOf(() => decodeCursor(c.cursor(), fp, c.keyLength ?? 2, c.now ?? NOW));
        expect(err.status).to.equal(400);
        expect(err.scimType).to.equal(c.scimType);
        expect(err.message).to.match(c.detail);
      });
    }
  });

  describe('queryFingerprint', () => {
    it('is stable for the same parts and differs for others', () => {
      expect(queryFingerprint(['a', { b: 1 }])).to.equal(queryFingerprint(['a', { b: 1 }]));
      expect(queryFingerprint(['a', { b: 1 }])).to.not.equal(queryFingerprint(['a', { b: -1 }]));
    });
  });

  describe('keysetCondition', () => {
    const cases: Array<{ name: string; sort: Record<string, 1 | -1>; key: unknown[]; direction: 'next' | 'previous'; expected: unknown }> = [
      {
        name: 'next on an ascending key: greater, then ties broken by _id',
        sort: { userNameKey: 1, _id: 1 },
        key: ['bob', 'id-2'],
        direction: 'next',
        expected: { $or: [{ userNameKey: { $gt: 'bob' } }, { $and: [{ userNameKey: 'bob' }, { _id: { $gt: 'id-2' } }] }] },
      },
      {
        name: 'previous on an ascending key: smaller or missing',
        sort: { userNameKey: 1, _id: 1 },
        key: ['bob', 'id-2'],
        direction: 'previous',
        expected: {
          $or: [
            { $or: [{ userNameKey: { $lt: 'bob' } }, { userNameKey: null }] },
            { $and: [{ userNameKey: 'bob' }, { $or: [{ _id: { $lt: 'id-2' } }, { _id: null }] }] },
          ],
        },
      },
      {
        name: 'next on a descending key: smaller',
        sort: { created: -1, _id: 1 },
        key: [new Date(NOW), 'id-2'],
        direction: 'next',
        expected: {
          $or: [
            { $or: [{ created: { $lt: new Date(NOW) } }, { created: null }] },
            { $and: [{ created: new Date(NOW) }, { _id: { $gt: 'id-2' } }] },
          ],
        },
      },
      {
        name: 'next after a missing value: every present value is beyond it',
        sort: { displayNameKey: 1, _id: 1 },
        key: [null, 'id-2'],
        direction: 'next',
        expected: { $or: [{ displayNameKey: { $ne: null } }, { $and: [{ displayNameKey: null }, { _id: { $gt: 'id-2' } }] }] },
      },
      {
        name: 'previous before a missing value on the only key: nothing is before it',
        sort: { displayNameKey: 1 },
        key: [null],
        direction: 'previous',
        expected: { _id: { $exists: false } },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(keysetCondition(c.sort, c.key, c.direction)).to.deep.equal(c.expected);
      });
    }
  });

  describe('sortKeyOf and reverseSort', () => {
    it('reads dotted sort paths from a document, missing values as null', () => {
      const doc = { _id: 'u1', name: { familyName: 'Lovelace' }, created: new Date(NOW) };
      expect(sortKeyOf(doc, { 'name.familyName': 1, 'name.givenName': 1, created: -1, _id: 1 })).to.deep.equal([
        'Lovelace',
        null,
        new Date(NOW),
        'u1',
      ]);
    });

    it('flips every direction and keeps the order of keys', () => {
      const reversed = reverseSort({ a: 1, b: -1, _id: 1 });
      expect(reversed).to.deep.equal({ a: -1, b: 1, _id: -1 });
      expect(Object.keys(reversed)).to.deep.equal(['a', 'b', '_id']);
    });
  });
});
