/**
 * RFC 7643 section 5: the /ServiceProviderConfig document, with RFC 9865 cursor pagination and RFC
 * 9967 section 4's securityEvents.
 */
import { SCHEMA_URN } from './schema-types.js';

export interface ServiceProviderConfigOptions {
  baseUrl: string;
  /** RFC 7643 5: filter.maxResults, the most resources a list or search answers with. */
  maxResults: number;
  patch: boolean;
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: boolean;
  sort: boolean;
  etag: boolean;
  changePassword: boolean;
  cursor: {
    supported: boolean;
    maxPageSize: number;
    /** Seconds a cursor stays valid between page requests. */
    cursorTimeout: number;
    /** Page size without a count; defaults to the smaller of maxResults and maxPageSize. */
    defaultPageSize?: number;
  };
  /** Where the operator documents the deployment (e.g. the README); omitted when not given. */
  documentationUri?: string;
  /** RFC 9967 section 4: the SET event URIs a stream can deliver; absent: no security events. */
  eventUris?: string[];
}

export interface ServiceProviderConfig {
  schemas: [typeof SCHEMA_URN.serviceProviderConfig];
  documentationUri?: string;
  patch: { supported: boolean };
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: { supported: boolean };
  sort: { supported: boolean };
  etag: { supported: boolean };
  authenticationSchemes: {
    type: string;
    name: string;
    description: string;
    specUri: string;
    primary: boolean;
  }[];
  pagination?: {
    cursor: boolean;
    index: boolean;
    defaultPaginationMethod: 'index' | 'cursor';
    defaultPageSize: number;
    maxPageSize: number;
    cursorTimeout: number;
  };
  /** RFC 9967 section 4. asyncRequest "none": every SCIM request completes before it is answered. */
  securityEvents?: { asyncRequest: 'none' | 'long' | 'request'; eventUris: string[] };
  meta: { resourceType: 'ServiceProviderConfig'; location: string };
}

/** Builds the RFC 7643 section 5 ServiceProviderConfig for a deployment's settings. */
export function buildServiceProviderConfig(opts: ServiceProviderConfigOptions): ServiceProviderConfig {
  const config: ServiceProviderConfig = {
    schemas: [SCHEMA_URN.serviceProviderConfig],
    ...(opts.documentationUri ? { documentationUri: opts.documentationUri } : {}),
    patch: { supported: opts.patch },
    bulk: {
      supported: opts.bulk.supported,
      // RFC 7643 5: the limits only mean something when bulk is supported.
      maxOperations: opts.bulk.supported ? opts.bulk.maxOperations : 0,
      maxPayloadSize: opts.bulk.supported ? opts.bulk.maxPayloadSize : 0,
    },
    filter: { supported: opts.filter, maxResults: opts.maxResults },
    changePassword: { supported: opts.changePassword },
    sort: { supported: opts.sort },
    etag: { supported: opts.etag },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a bearer token issued by the Roster administrator (scope scim).',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    ...(opts.eventUris ? { securityEvents: { asyncRequest: 'none' as const, eventUris: opts.eventUris } } : {}),
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${opts.baseUrl.replace(/\/+$/, '')}/ServiceProviderConfig`,
    },
  };

  if (opts.cursor.supported) {
    const defaultPageSize = opts.cursor.defaultPageSize ?? Math.min(opts.maxResults, opts.cursor.maxPageSize);
    // RFC 9865 section 4: the pagination attribute. A provider supporting both methods must name a
    // default; index stays the default because Okta and Entra ID page by startIndex.
    config.pagination = {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize,
      maxPageSize: opts.cursor.maxPageSize,
      cursorTimeout: opts.cursor.cursorTimeout,
    };
  }
  return config;
}
