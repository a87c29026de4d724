import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

/**
 * scrypt at OWASP's Password Storage Cheat Sheet recommendation: N=2^17, r=8, p=1 (128 MiB and a
 * few hundred milliseconds a hash). The parameters are stored in every hash, so raising them later
 * only needs `needsRehash` to say so: sign-in rehashes at the next successful password check.
 * `configurePasswordHashing` lowers N for the test harness only (ROSTER_SCRYPT_LOG_N, default 17;
 * README "Configuration"); the production default never changes.
 */
export const RECOMMENDED_SCRYPT_LOG_N = 17;
const SCRYPT = { r: 8, p: 1, keylen: 32 };
let scryptLogN = RECOMMENDED_SCRYPT_LOG_N;

/** Sets the work factor of new hashes (log2 N) from configuration: the one process-wide knob. */
export function configurePasswordHashing(logN: number): void {
  scryptLogN = logN;
}

/** scrypt needs 128 * N * r bytes; node refuses above maxmem (32 MiB by default). */
function maxmemFor(n: number, r: number): number {
  return 128 * n * r + 32 * 1024 * 1024;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** scryptLogN;
  const hash = await scryptAsync(password, salt, SCRYPT.keylen, { N, r: SCRYPT.r, p: SCRYPT.p, maxmem: maxmemFor(N, SCRYPT.r) });
  return `scrypt$${N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A stored hash made with weaker parameters than new hashes get (rehash it at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$');
  if (scheme !== 'scrypt') return true;
  return Number(n) < 2 ** scryptLogN || Number(r) < SCRYPT.r || Number(p) < SCRYPT.p;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  // Bounded, so a corrupt stored hash cannot ask for gigabytes.
  if (Number(n) > 2 ** 20 || Number(r) > 32 || Number(p) > 16) return false;
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: maxmemFor(Number(n), Number(r)),
  });
  return timingSafeEqual(actual, expected);
}

/** Token secrets are 256 random bits, so one SHA-256 suffices (no dictionary to defend against). */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compare digests of equal length so timingSafeEqual never throws and length leaks nothing.
  return timingSafeEqual(createHash('sha256').update(x).digest(), createHash('sha256').update(y).digest()) && x.length === y.length;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
