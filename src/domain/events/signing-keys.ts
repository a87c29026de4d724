import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { Clock } from '../context.js';
import type { EventRepository, SigningKeyRecord } from '../../store/event.repository.js';

/**
 * Per-organization SET signing keys (ES256, RFC 7518 3.4), made and used with Node's own crypto
 * (key generation, JWK export and JWS signing need no library).
 *
 * Why encrypted: a database dump or a replica must not let anyone sign events that a platform
 * would trust (it revokes sessions on them). The private key is stored AES-256-GCM-encrypted under
 * a key-encryption key that does not live in the database (`ROSTER_EVENTS_KEY`), so the database
 * alone is not enough. A hash would not do: signing needs the key itself. The same wrapping
 * protects each push stream's `authorization_header`.
 */
export class KeyWrapper {
  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new Error('the events key-encryption key must be 32 bytes');
  }

  wrap(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  unwrap(wrapped: string): string {
    const [v, iv, tag, body] = wrapped.split('.');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('unknown wrapped key format');
    const decipher = createDecipheriv('aes-256-gcm', this.kek, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** A compact JWS (RFC 7515) over `claims`, typ secevent+jwt (RFC 8417 2.3). */
export function signSet(claims: Record<string, unknown>, kid: string, key: KeyObject): string {
  const header = { alg: 'ES256', typ: 'secevent+jwt', kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

export class SigningKeys {
  private readonly cache = new Map<string, { kid: string; key: KeyObject }>();
  /** Told when a stored key cannot be decrypted (the key-encryption key changed). */
  onUnreadableKey: ((orgId: string, kid: string) => void) | undefined;

  constructor(
    private readonly repo: EventRepository,
    private readonly wrapper: KeyWrapper,
    private readonly clock: Clock,
  ) {}

  /** The organization's active key, made on first use. */
  async active(orgId: string): Promise<{ kid: string; key: KeyObject }> {
    const cached = this.cache.get(orgId);
    if (cached) return cached;
    let record = await this.repo.activeKey(orgId);
    if (!record) record = await this.create(orgId);
    let pem: string;
    try {
      pem = this.wrapper.unwrap(record.privateKeyEnc);
    } catch {
      // ROSTER_EVENTS_KEY changed: the stored key cannot be read. A new one is made (and published);
      // SETs already queued were signed before and still verify with the old public key.
      this.onUnreadableKey?.(orgId, record._id);
      record = await this.create(orgId);
      pem = this.wrapper.unwrap(record.privateKeyEnc);
    }
    const entry = { kid: record._id, key: createPrivateKey(pem) };
    this.cache.set(orgId, entry);
    return entry;
  }

  private async create(orgId: string): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomUUID();
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const record: SigningKeyRecord = {
      _id: kid,
      orgId,
      alg: 'ES256',
      publicJwk: { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y!, kid, alg: 'ES256', use: 'sig' },
      privateKeyEnc: this.wrapper.wrap(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
      state: 'active',
      created: this.clock.now(),
    };
    await this.repo.insertKey(record);
    // Two processes may have made one each at once: the newest stays active, the other is retired
    // (still published while SETs signed with it wait for delivery).
    await this.repo.retireKeys(orgId, record._id, this.clock.now());
    const active = await this.repo.activeKey(orgId);
    return active ?? record;
  }

  /** A new active key; the previous one stays in the JWKS until the SETs signed with it are delivered. */
  async rotate(orgId: string): Promise<{ kid: string; retired: string[] }> {
    const before = (await this.repo.keysOf(orgId)).filter((k) => k.state === 'active').map((k) => k._id);
    this.cache.delete(orgId);
    const record = await this.create(orgId);
    this.cache.delete(orgId);
    return { kid: record._id, retired: before };
  }

  /**
   * The JWKS (RFC 7517) of every organization: active keys, and retired keys that SETs still
   * queued (undelivered, or delivered and not yet swept) were signed with. Public keys only; kids are random, so they name no organization.
   */
  async jwks(): Promise<{ keys: Record<string, string>[] }> {
    const keys = await this.repo.allKeys();
    const out: Record<string, string>[] = [];
    const pendingByOrg = new Map<string, Set<string>>();
    for (const k of keys) {
      if (k.state === 'retired') {
        if (!pendingByOrg.has(k.orgId)) pendingByOrg.set(k.orgId, await this.repo.referencedKids(k.orgId));
        if (!pendingByOrg.get(k.orgId)!.has(k._id)) {
          await this.repo.deleteKey(k._id);
          continue;
        }
      }
      out.push(k.publicJwk);
    }
    return { keys: out };
  }

  /** For tests and the README's receiver: verify with the public JWK. */
  static publicKeyOf(jwk: Record<string, string>): KeyObject {
    return createPublicKey({ key: jwk, format: 'jwk' });
  }
}
