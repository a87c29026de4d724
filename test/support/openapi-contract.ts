/**
 * The OpenAPI document as a contract: a response is held to the document's entry
 * for its method, path template and status: the status must be listed, the content type must be one
 * the entry names (or none for a body-less answer), required headers must be present, and the body
 * must validate against the entry's JSON Schema (OpenAPI 3.1 = JSON Schema 2020-12, checked by ajv).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type supertest from 'supertest';
import { h } from './harness.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = Record<string, unknown>;

interface ResponseEntry {
  description?: string;
  headers?: Record<string, { required?: boolean; $ref?: string }>;
  content?: Record<string, { schema?: unknown }>;
  $ref?: string;
}

export interface OpenapiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: Json;
  [key: string]: unknown;
}

const DOC_ID = 'https://roster.invalid/openapi.json';

let cached: { doc: OpenapiDocument; ajv: Ajv2020; validators: Map<string, ValidateFunction> } | undefined;

/** The document as the repository holds it (openapi/openapi.json), parsed once per run. */
export function openapiDocument(): OpenapiDocument {
  return contract().doc;
}

function contract() {
  if (cached) return cached;
  const doc = JSON.parse(readFileSync(join(h().config.projectRoot, 'openapi', 'openapi.json'), 'utf8')) as OpenapiDocument;
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  // OpenAPI's top-level fields and annotation keywords, so ajv's strict mode only rejects real schema mistakes.
  ajv.addVocabulary([
    'openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags',
    'externalDocs', 'example', 'discriminator', 'xml',
  ]);
  // RFC 3339 date-time, as Date.toISOString() writes it and RFC 7643 2.3.5 requires.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addSchema({ ...doc, $id: DOC_ID } as Json);
  cached = { doc, ajv, validators: new Map() };
  return cached;
}

/** JSON Pointer (RFC 6901) token escaping. */
export function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Resolves a local "#/..." reference in the document. */
export function resolveRef<T>(ref: string): T {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
  let node: unknown = openapiDocument();
  for (const raw of ref.slice(2).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(token in node)) throw new Error(`unresolvable reference ${ref}`);
    node = (node as Json)[token];
  }
  return node as T;
}

function deref<T extends { $ref?: string }>(node: T): T {
  return node.$ref ? deref(resolveRef<T>(node.$ref)) : node;
}

function validatorFor(pointer: string): ValidateFunction {
  const c = contract();
  let validate = c.validators.get(pointer);
  if (!validate) {
    validate = c.ajv.compile({ $ref: `${DOC_ID}${pointer}` });
    c.validators.set(pointer, validate);
  }
  return validate;
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * Asserts that a supertest response is one the document allows for `method pathTemplate`
 * (pathTemplate as the document writes it, e.g. "/scim/v2/Users/{id}").
 */
export function expectMatchesContract(method: string, pathTemplate: string, res: supertest.Response): void {
  const doc = openapiDocument();
  const m = method.toLowerCase();
  const where = `${method.toUpperCase()} ${pathTemplate} → ${res.status}`;
  const pathItem = doc.paths[pathTemplate];
  if (!pathItem) throw new Error(`${where}: the document has no path ${pathTemplate}`);
  const operation = pathItem[m] as { responses?: Record<string, ResponseEntry> } | undefined;
  if (!operation?.responses) throw new Error(`${where}: the document has no ${m} operation on ${pathTemplate}`);
  const status = String(res.status);
  const listed = operation.responses[status];
  if (!listed) {
    throw new Error(
      `${where}: status ${status} is not in the document (listed: ${Object.keys(operation.responses).join(', ')}); body: ${res.text}`,
    );
  }
  const entry = deref(listed);
  // The pointer to the response entry as ajv sees it: through the $ref when there is one, so errors name the component.
  const entryPointer = listed.$ref
    ? listed.$ref.slice(1)
    : `/paths/${pointerToken(pathTemplate)}/${m}/responses/${status}`;

  for (const [name, header] of Object.entries(entry.headers ?? {})) {
    if (deref(header).required && res.headers[name.toLowerCase()] === undefined) {
      throw new Error(`${where}: the document requires the ${name} header, which the response lacks`);
    }
  }

  const received = mediaType(res.headers['content-type'] as string | undefined);
  const content = entry.content;
  if (!content || Object.keys(content).length === 0) {
    if (res.text) throw new Error(`${where}: the document lists no body, but the response has one: ${res.text}`);
    return;
  }
  if (!received || !(received in content)) {
    throw new Error(`${where}: content type ${String(received)} is not one of ${Object.keys(content).join(', ')}`);
  }
  if (content[received]?.schema === undefined) return;
  let body: unknown = res.text;
  // A text media type (GET /metrics: text/plain) is held to its schema as the string it is.
  if (/[/+]json$/.test(received)) {
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new Error(`${where}: the body is not JSON: ${res.text.slice(0, 200)}`);
    }
  }
  const validate = validatorFor(`#${entryPointer}/content/${pointerToken(received)}/schema`);
  if (!validate(body)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    throw new Error(`${where}: the body does not match the document:\n  ${errors.join('\n  ')}\nbody: ${res.text.slice(0, 2000)}`);
  }
}

/** Every "METHOD /path/{param}" the document describes. */
export function documentedRoutes(): string[] {
  const routes: string[] = [];
  for (const [path, item] of Object.entries(openapiDocument().paths)) {
    for (const method of HTTP_METHODS) if (item[method]) routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes.sort();
}

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

function joinPath(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Express path syntax ("/Users/:id") in OpenAPI's ("/Users/{id}"). */
function toTemplate(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Every "METHOD /path/{param}" an Express 5 app serves, by walking app.router.stack and the stacks of
 * the routers mounted in it. Only string mount paths are understood: a regular expression or an array
 * is an error here, so the walk never silently misses a route.
 */
export function servedRoutes(app: { router: { stack: RouterLayer[] } }): string[] {
  const routes = new Set<string>();
  const walk = (stack: RouterLayer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        if (typeof layer.route.path !== 'string') throw new Error(`cannot read the route path ${String(layer.route.path)}`);
        const path = toTemplate(joinPath(prefix, layer.route.path));
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') routes.add(`${method.toUpperCase()} ${path}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        if (typeof layer.rawPath !== 'string') throw new Error(`cannot read the mount path ${String(layer.rawPath)}`);
        walk(layer.handle.stack, joinPath(prefix, layer.rawPath));
      }
    }
  };
  walk(app.router.stack, '/');
  return [...routes].sort();
}
