import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { h } from '../../support/harness.js';

/** docker/start.sh (the image's entrypoint) run outside Docker, against the source tree through tsx. */
function runStartScript(env: Record<string, string>) {
  const base = { ...process.env };
  delete base.MONGODB_URI;
  const child = spawn('sh', [join(h().config.projectRoot, 'docker', 'start.sh')], {
    env: {
      ...base,
      ROSTER_APP_DIR: h().config.projectRoot,
      ROSTER_NODE_ARGS: '--import tsx',
      ROSTER_MAIN: 'src/main.ts',
      PORT: '0',
      HOST: '127.0.0.1',
      ROSTER_BOOTSTRAP: 'false',
      LOG_LEVEL: 'info',
      ROSTER_READINESS_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const listening = new Promise<number | undefined>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/scim\/v2"/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => resolve(undefined));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, listening, exited, stderr: () => stderr, stdout: () => stdout };
}

describe('docker/start.sh (the image entrypoint), run outside Docker', () => {
  it('without MONGODB_URI starts the embedded FerretDB on PostgreSQL in ROSTER_DATA_DIR, serves, and stops cleanly on SIGTERM', async function () {
    this.timeout(180_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-start-'));
    try {
      const run = runStartScript({ ROSTER_DATA_DIR: join(dataDir, 'volume') });
      const port = await run.listening;
      expect(port, `${run.stderr()}\n${run.stdout().slice(-2000)}`).to.be.a('number');
      expect(run.stderr()).to.include('no MONGODB_URI: starting the embedded database');
      expect(run.stdout()).to.match(/"engine":"ferretdb-postgresql"/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).to.equal(200);
      run.child.kill('SIGTERM');
      expect(await run.exited).to.equal(0);
      expect(run.stdout()).to.include('"msg":"stopped"');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses with a clear message (exit 78) when the data directory is not writable or the image has no FerretDB', async () => {
    const unwritable = runStartScript({ ROSTER_DATA_DIR: '/proc/roster-data' });
    expect(await unwritable.exited).to.equal(78);
    expect(unwritable.stderr()).to.match(/the data directory \/proc\/roster-data is not writable.*\n.*mount a volume there/);

    const empty = mkdtempSync(join(tmpdir(), 'roster-app-'));
    try {
      const dataDir = join(empty, 'data');
      const noEngine = runStartScript({ ROSTER_APP_DIR: empty, ROSTER_DATA_DIR: dataDir });
      expect(await noEngine.exited).to.equal(78);
      expect(noEngine.stderr()).to.include('no FerretDB binary');

      // FerretDB present, the PostgreSQL package not: refused before Node starts.
      const ferretdb = join(empty, '.tools', 'ferretdb-test');
      mkdirSync(ferretdb, { recursive: true });
      writeFileSync(join(ferretdb, 'ferretdb'), '');
      const noPostgres = runStartScript({ ROSTER_APP_DIR: empty, ROSTER_DATA_DIR: dataDir });
      expect(await noPostgres.exited).to.equal(78);
      expect(noPostgres.stderr()).to.include('no PostgreSQL binaries');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
