import { expect } from 'chai';
import { checkIfMatch, etagOf } from '../../../src/scim/etag.js';
import { ScimError } from '../../../src/scim/errors.js';

describe('scim/etag (RFC 7644 3.14)', () => {
  it('makes a weak ETag of the version', () => {
    expect(etagOf(7)).to.equal('W/"7"');
  });

  const matching: [string | undefined, number][] = [
    [undefined, 3],
    ['*', 3],
    ['W/"3"', 3],
    ['"3"', 3],
    ['W/"2", W/"3"', 3],
    [' W/"1" ,*', 9],
  ];
  for (const [ifMatch, version] of matching) {
    it(`accepts If-Match ${JSON.stringify(ifMatch)} on version ${version}`, () => {
      expect(() => checkIfMatch(ifMatch, version)).not.to.throw();
    });
  }

  const stale: [string, number][] = [
    ['W/"2"', 3],
    ['"30"', 3],
    ['W/"1", W/"2"', 3],
  ];
  for (const [ifMatch, version] of stale) {
    it(`answers 412 for If-Match ${JSON.stringify(ifMatch)} on version ${version}, naming the current version`, () => {
      try {
        checkIfMatch(ifMatch, version);
        expect.fail('no error');
      } catch (err) {
        expect(err).to.be.instanceOf(ScimError);
        expect((err as ScimError).status).to.equal(412);
        expect((err as ScimError).detail).to.equal(`If-Match ${ifMatch} does not match the current version W/"${version}"`);
      }
    });
  }
});
