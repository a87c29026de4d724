import { expect } from 'chai';
import { asDuplicateKey, DuplicateKeyError } from '../../../src/store/errors.js';

describe('asDuplicateKey', () => {
  it('names the index of a MongoDB E11000 error', () => {
    const err = asDuplicateKey({ code: 11000, message: 'E11000 duplicate key error collection: db.users index: org_userName_unique dup key' });
    expect(err).to.be.instanceOf(DuplicateKeyError);
    expect(err?.index).to.equal('org_userName_unique');
  });

  it("recognises FerretDB 1.x's SQLite clash on update (code 1), which is not E11000", () => {
    const err = asDuplicateKey({
      code: 1,
      message: "constraint failed: UNIQUE constraint failed: index 'users_5e7cc513_org_email_unique' (2067)",
    });
    expect(err?.index).to.equal('users_5e7cc513_org_email_unique');
  });

  it("recognises FerretDB 1.x's PostgreSQL clash on update (code 1, SQLSTATE 23505)", () => {
    const err = asDuplicateKey({
      code: 1,
      message:
        '[msg_update.go:133 handler.(*Handler).updateDocument] [collection.go:218 postgresql.(*collection).UpdateAll.func1] ' +
        'ERROR: duplicate key value violates unique constraint "users_5e7cc513_org_email_unique_71ce15d6_idx" (SQLSTATE 23505)',
    });
    expect(err?.index).to.equal('users_5e7cc513_org_email_unique_71ce15d6_idx');
    expect(asDuplicateKey({ code: 1, message: 'ERROR: violates unique constraint "x" (SQLSTATE 22000)' })).to.equal(undefined);
  });

  it('leaves other errors alone', () => {
    expect(asDuplicateKey({ code: 2, message: 'BadValue' })).to.equal(undefined);
    expect(asDuplicateKey(undefined)).to.equal(undefined);
  });
});
