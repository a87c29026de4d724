import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createPublicKey, verify } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { api } from '../../support/harness.js';

export interface ReceivedSet {
  jti: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown> & { jti: string; txn?: string; sub_id: Record<string, string>; events: Record<string, Record<string, unknown>> };
  status: number;
  authorization?: string;
  contentType?: string;
}

/**
 * A real RFC 8935 receiver on 127.0.0.1: records every SET, answers with the next status of
 * `script` (then 202). `hold` keeps the next request unanswered (a receiver mid-delivery).
 */
export class Receiver {
  readonly received: ReceivedSet[] = [];
  script: number[] = [];
  holdNext = false;
  held: (() => void) | undefined;
  heldJti: string | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const token = Buffer.concat(chunks).toString('utf8');
    const [h, p] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as ReceivedSet['claims'];
    if (this.holdNext) {
      this.holdNext = false;
      this.heldJti = claims.jti;
      await new Promise<void>((resolve) => (this.held = resolve));
      res.destroy();
      return;
    }
    const status = this.script.shift() ?? 202;
    this.received.push({
      jti: claims.jti,
      header,
      claims,
      status,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      token,
    } as ReceivedSet);
    res.statusCode = status;
    res.end();
  }

  /** The SETs answered 202, in order. */
  acked(): ReceivedSet[] {
    return this.received.filter((r) => r.status === 202);
  }

  async stop(): Promise<void> {
    this.held?.();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Verifies a compact JWS against the served JWKS (GET /ssf/jwks), as a receiver would. */
export async function verifySet(token: string): Promise<boolean> {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { kid: string; alg: string; typ: string };
  if (header.alg !== 'ES256' || header.typ !== 'secevent+jwt') return false;
  const jwks = (await api().get('/ssf/jwks').expect(200)).body as { keys: (Record<string, string> & { kid: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'));
}
