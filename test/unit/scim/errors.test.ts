import { expect } from 'chai';
import { ScimError, scimTypeError } from '../../../src/scim/errors.js';

describe('ScimError', () => {
  it('serialises status as a string with scimType, per RFC 7644 3.12', () => {
    const body = scimTypeError('noTarget', 'operation 1: nothing matched').toJSON();
    expect(body).to.deep.equal({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'noTarget',
      detail: 'operation 1: nothing matched',
    });
  });

  it('omits scimType when none applies', () => {
    expect(new ScimError(404, 'User x not found').toJSON()).to.not.have.property('scimType');
  });
});
