import { expect } from 'chai';
import { buildServiceProviderConfig } from '../../../src/scim/service-provider-config.js';
import type { ServiceProviderConfigOptions } from '../../../src/scim/service-provider-config.js';

function options(overrides: Partial<ServiceProviderConfigOptions> = {}): ServiceProviderConfigOptions {
  return {
    baseUrl: 'https://roster.example/scim/v2',
    maxResults: 200,
    patch: true,
    bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
    filter: true,
    sort: true,
    etag: true,
    changePassword: false,
    cursor: { supported: true, maxPageSize: 500, cursorTimeout: 600 },
    ...overrides,
  };
}

describe('buildServiceProviderConfig', () => {
  it('advertises each capability as RFC 7643 5 describes it', () => {
    const config = buildServiceProviderConfig(options());
    expect(config).to.deep.include({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      meta: { resourceType: 'ServiceProviderConfig', location: 'https://roster.example/scim/v2/ServiceProviderConfig' },
    });
  });

  it('advertises RFC 9967 section 4 securityEvents only when event URIs are given', () => {
    expect(buildServiceProviderConfig(options())).to.not.have.property('securityEvents');
    const config = buildServiceProviderConfig(options({ eventUris: ['urn:ietf:params:scim:event:prov:delete'] }));
    expect(config.securityEvents).to.deep.equal({ asyncRequest: 'none', eventUris: ['urn:ietf:params:scim:event:prov:delete'] });
  });

  it('offers one primary oauthbearertoken authentication scheme', () => {
    const { authenticationSchemes } = buildServiceProviderConfig(options());
    expect(authenticationSchemes).to.have.length(1);
    expect(authenticationSchemes[0]).to.include({ type: 'oauthbearertoken', primary: true });
    expect(authenticationSchemes[0]?.name).to.be.a('string').and.not.equal('');
    expect(authenticationSchemes[0]?.description).to.be.a('string').and.not.equal('');
  });

  it('adds the RFC 9865 pagination block with index as the default method when cursors are supported', () => {
    expect(buildServiceProviderConfig(options()).pagination).to.deep.equal({
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: 200,
      maxPageSize: 500,
      cursorTimeout: 600,
    });
  });

  it('uses the given defaultPageSize, else the smaller of maxResults and maxPageSize', () => {
    const cases: [number, number, number | undefined, number][] = [
      [200, 500, undefined, 200],
      [1000, 500, undefined, 500],
      [200, 500, 50, 50],
    ];
    for (const [maxResults, maxPageSize, defaultPageSize, expected] of cases) {
      const config = buildServiceProviderConfig(
        options({ maxResults, cursor: { supported: true, maxPageSize, cursorTimeout: 60, defaultPageSize } }),
      );
      expect(config.pagination?.defaultPageSize).to.equal(expected);
    }
  });

  it('leaves pagination out when cursors are not supported', () => {
    const config = buildServiceProviderConfig(
      options({ cursor: { supported: false, maxPageSize: 500, cursorTimeout: 600 } }),
    );
    expect(config).to.not.have.property('pagination');
  });

  it('advertises zero bulk limits when bulk is not supported', () => {
    const config = buildServiceProviderConfig(
      options({ bulk: { supported: false, maxOperations: 1000, maxPayloadSize: 1048576 } }),
    );
    expect(config.bulk).to.deep.equal({ supported: false, maxOperations: 0, maxPayloadSize: 0 });
  });

  it('includes documentationUri only when one is configured', () => {
    expect(buildServiceProviderConfig(options())).to.not.have.property('documentationUri');
    expect(
      buildServiceProviderConfig(options({ documentationUri: 'https://roster.example/docs' })).documentationUri,
    ).to.equal('https://roster.example/docs');
  });

  it('builds the meta location without a doubled slash', () => {
    const config = buildServiceProviderConfig(options({ baseUrl: 'https://roster.example/scim/v2/' }));
    expect(config.meta.location).to.equal('https://roster.example/scim/v2/ServiceProviderConfig');
  });
});
