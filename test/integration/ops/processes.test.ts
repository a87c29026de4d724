import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { h, testConfig } from '../../support/harness.js';
import { createApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { check } from '../../support/contract-coverage.js';
import { WriterLease, WriterLeaseHeld } from '../../../src/store/writer-lease.js';

interface Started {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stderr: string }>;
  /** Resolves with the port once the process logs that it listens (undefined if it exits first). */
  listening: Promise<number | undefined>;
}

/** `npm start`'s server (src/main.ts) as a child process on `uri`. */
function startMain(uri: string, env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: h().config.projectRoot,
    env: {
      ...process.env,
      MONGODB_URI: uri,
      PORT: '0',
      HOST: '127.0.0.1',
      ROSTER_BOOTSTRAP: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let out = '';
  const listening = new Promise<number | undefined>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/scim\/v2"/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => resolve(undefined));
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, exited, listening };
}

/** The server of the harness's database with another database name in the path. */
function uriFor(dbName: string): string {
  const base = h().config.mongodbUri || h().embedded!.uri;
  const [head, query] = base.split('?');
  const root = /^(mongodb(?:\+srv)?:\/\/[^/?]+)/.exec(head!)![1]!;
  return `${root}/${dbName}${query ? `?${query}` : ''}`;
}

describe('Several processes on one database', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('readiness: 503 {status: stopping} once the lifecycle says so, as the document describes', async () => {
    const lifecycle = { stopping: false };
    const app = supertest(createApp({ config: testConfig(), store: h().store, logger: createLogger('silent'), clock: h().clock, lifecycle }));
    check('get', '/readyz', await app.get('/readyz'), 200);
    lifecycle.stopping = true;
    const res = check('get', '/readyz', await app.get('/readyz'), 503);
    expect(res.body).to.deep.equal({ status: 'stopping', database: 'ok' });
    await app.get('/healthz').expect(200);
  });

  it('WriterLease: a second holder is refused with a clear message; released or expired, it can be taken', async () => {
    const first = await WriterLease.acquire(h().store);
    let refused: unknown;
    try {
      await WriterLease.acquire(h().store);
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(WriterLeaseHeld);
    expect((refused as Error).message).to.match(/another Roster process serves this database \(pid \d+ on .+\).*FerretDB 1\.x/);
    await first.release();
    // A lease whose holder stopped renewing an hour ago has run out: the next start takes it over.
    const stale = await WriterLease.acquire(h().store, { now: () => new Date(Date.now() - 3_600_000) });
    const next = await WriterLease.acquire(h().store);
    expect(await stale.renew()).to.equal(false);
    expect(await next.renew()).to.equal(true);
    await stale.release();
    await next.release();
  });

  it('two servers started on the same database: on FerretDB 1.x the second refuses to start; on MongoDB both serve. SIGTERM turns readiness 503 while the listener still answers', async function () {
    this.timeout(180_000);
    const uri = uriFor(`roster_processes_${randomBytes(4).toString('hex')}`);
    const env = { ROSTER_READINESS_DRAIN_MS: '120000', SHUTDOWN_GRACE_MS: '1000' };
    const first = startMain(uri, env);
    children.push(first.child);
    const port = await first.listening;
    expect(port, (await Promise.race([first.exited, Promise.resolve({ stderr: '' })])).stderr).to.be.a('number');

    const second = startMain(uri, env);
    children.push(second.child);
    if (h().store.capabilities.atomicConditionalUpdates) {
      expect(await second.listening).to.be.a('number');
      second.child.kill('SIGKILL');
    } else {
      const { code, stderr } = await second.exited;
      expect(code).to.equal(75);
      expect(stderr).to.match(/Roster refuses to start: another Roster process serves this database \(pid \d+/);
      expect(stderr).to.include('only one Roster process may serve a database');
    }

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    first.child.kill('SIGTERM');
    // Readiness turns 503 once the signal is handled; the listener keeps serving meanwhile.
    let ready = await fetch(`${base}/readyz`);
    while (ready.status === 200) ready = await fetch(`${base}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.deep.equal({ status: 'stopping', database: 'ok' });
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    first.child.kill('SIGKILL');
    await first.exited;
  });
});
