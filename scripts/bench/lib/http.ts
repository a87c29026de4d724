/** A minimal loopback JSON client over Node's fetch (keep-alive), with a per-request time limit. */

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

export interface JsonClient {
  get(path: string): Promise<Record<string, unknown>>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
}

export function jsonClient(baseUrl: string, token: string, timeoutMs: number): JsonClient {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`the benchmark only talks to loopback, not ${baseUrl}`);
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/scim+json, application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new HttpError(res.status, text, `${method} ${path}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}
