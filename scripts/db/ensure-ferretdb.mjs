#!/usr/bin/env node
// Builds the pinned FerretDB release (scripts/db/ferretdb/go.mod) into .tools/
// so that `npm start` and `npm test` have a MongoDB-wire server without a
// download of MongoDB's own binary. Idempotent: does nothing when the binary
// is already there.
//
// Why not `go install ...@v1.24.2`: the module proxy does not serve the
// module's version list, which `go install pkg@version` asks for; and the
// module as published has an empty build/version/version.txt, which makes the
// binary panic at start. So we download the pinned module (checksummed by the
// committed go.sum), copy it, write version.txt, and build it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const modDir = join(here, 'ferretdb');
const version = /github\.com\/FerretDB\/FerretDB (v[0-9.]+)/.exec(readFileSync(join(modDir, 'go.mod'), 'utf8'))[1];
const toolsDir = join(root, '.tools', `ferretdb-${version}`);
const binary = join(toolsDir, 'ferretdb');

export function ferretdbBinaryPath() {
  return binary;
}

function log(message) {
  process.stderr.write(`[ferretdb] ${message}\n`);
}

function hasGo() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function ensureFerretdb() {
  if (existsSync(binary)) return binary;
  if (!hasGo()) {
    throw new Error(
      'FerretDB is not built and no Go toolchain was found. Install Go (>= 1.24), or set MONGODB_URI to a MongoDB server.',
    );
  }
  log(`building FerretDB ${version} into ${toolsDir} (once; about a minute on a cold Go cache)`);
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${version}`], { cwd: modDir, env }).toString(),
  );
  if (info.Error) throw new Error(`go mod download failed: ${info.Error}`);
  const src = join(toolsDir, 'src');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(toolsDir, { recursive: true });
  cpSync(info.Dir, src, { recursive: true });
  chmodAll(src);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${version}\n`);
  const tmp = `${binary}.tmp`;
  execFileSync('go', ['build', '-trimpath', '-o', tmp, './cmd/ferretdb'], {
    cwd: src,
    env: { ...env, GOFLAGS: '-buildvcs=false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Rename last, so an interrupted build never leaves a half-written binary behind.
  execFileSync('mv', [tmp, binary]);
  rmSync(src, { recursive: true, force: true });
  log(`built ${binary}`);
  return binary;
}

function chmodAll(dir) {
  // The module cache is read-only; the copy must be writable to add version.txt and to be removed later.
  execFileSync('chmod', ['-R', 'u+w', dir]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifNeeded = process.argv.includes('--if-needed');
  try {
    const path = ensureFerretdb();
    if (!ifNeeded) console.log(path);
  } catch (err) {
    // With --if-needed a missing toolchain is not fatal: MONGODB_URI or mongodb-memory-server may serve instead,
    // and the server says clearly at start-up if neither does.
    log(err instanceof Error ? err.message : String(err));
    process.exit(ifNeeded ? 0 : 1);
  }
}
