import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { SqliteDataError, startEmbeddedDatabase } from '../../../src/store/embedded-database.js';
import { migrateSqliteData } from '../../../src/store/sqlite-migration.js';
import supertest from 'supertest';
import { createApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { connectStore } from '../../../src/store/connection.js';
import { h, testConfig } from '../../support/harness.js';

function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('Embedded FerretDB on PostgreSQL', () => {
  it('stops a FerretDB a killed process left on the same data directory before starting its own', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    const projectRoot = h().config.projectRoot;
    const first = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb', projectRoot });
    const leftover = Number(readFileSync(join(dataDir, 'ferretdb-postgresql', 'ferretdb.pid'), 'utf8'));
    expect(running(leftover)).to.equal(true);
    // As after kill -9 of the Roster process: the first FerretDB was never stopped.
    const second = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb', projectRoot });
    try {
      expect(running(leftover)).to.equal(false);
      const current = Number(readFileSync(join(dataDir, 'ferretdb-postgresql', 'ferretdb.pid'), 'utf8'));
      expect(current).to.not.equal(leftover);
      const conn = await mongoose.createConnection(second.uri, { directConnection: true }).asPromise();
      await conn.db!.admin().ping();
      await conn.close();
    } finally {
      await second.stop();
      await first.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a data directory whose FerretDB another running Roster uses, and leaves that one alone', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    const projectRoot = h().config.projectRoot;
    // Another Roster process: it starts the embedded database on dataDir and keeps running.
    const script = `
      import { startEmbeddedDatabase } from ${JSON.stringify(join(projectRoot, 'src/store/embedded-database.ts'))};
      await startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)}, mode: 'ferretdb', projectRoot: ${JSON.stringify(projectRoot)} });
      process.once('SIGTERM', () => process.exit(0));
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 1000);`;
    const other = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(other.stdout!, 'data');
      const theirs = Number(readFileSync(join(dataDir, 'ferretdb-postgresql', 'ferretdb.pid'), 'utf8'));
      let refused: Error | undefined;
      await startEmbeddedDatabase({ dataDir, mode: 'ferretdb', projectRoot }).then(
        (db) => db.stop(),
        (err: Error) => {
          refused = err;
        },
      );
      expect(refused?.message).to.match(new RegExp(`^another process \\(pid ${other.pid}\\) is running FerretDB \\(pid ${theirs}\\)`));
      expect(running(theirs)).to.equal(true);
    } finally {
      other.kill('SIGTERM');
      await once(other, 'exit');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves nothing that blocks the next start when Roster is killed with SIGKILL, and keeps the data', async function () {
    this.timeout(90_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    const projectRoot = h().config.projectRoot;
    const script = `
      import mongoose from 'mongoose';
      import { startEmbeddedDatabase } from ${JSON.stringify(join(projectRoot, 'src/store/embedded-database.ts'))};
      const db = await startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)}, mode: 'auto', projectRoot: ${JSON.stringify(projectRoot)} });
      const conn = await mongoose.createConnection(db.uri, { directConnection: true }).asPromise();
      await conn.db.collection('things').insertOne({ _id: 'kept', at: new Date(0) });
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 1000);`;
    const other = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    await once(other.stdout!, 'data');
    const ferret = Number(readFileSync(join(dataDir, 'ferretdb-postgresql', 'ferretdb.pid'), 'utf8'));
    const postgres = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Each in a process group of its own: a Ctrl-C in Roster's terminal does not stop them under it.
    expect(processGroup(ferret)).to.not.equal(processGroup(other.pid!));
    expect(processGroup(postgres)).to.not.equal(processGroup(other.pid!));
    other.kill('SIGKILL');
    await once(other, 'exit');
    expect(running(ferret) && running(postgres), 'both outlive a SIGKILL of their Roster').to.equal(true);
    const db = await startEmbeddedDatabase({ dataDir, mode: 'auto', projectRoot });
    try {
      expect(running(ferret)).to.equal(false);
      expect(running(postgres)).to.equal(false);
      expect(db.engine).to.equal('ferretdb-postgresql');
      const conn = await mongoose.createConnection(db.uri, { directConnection: true }).asPromise();
      const kept = await conn.db!.collection('things').findOne({ _id: 'kept' as never });
      await conn.close();
      expect(kept?.at).to.deep.equal(new Date(0));
    } finally {
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a data directory the SQLite engine wrote, naming the command, which then copies every collection checked by counts', async function () {
    this.timeout(120_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    const projectRoot = h().config.projectRoot;
    try {
      const old = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb-sqlite', projectRoot });
      const conn = await mongoose.createConnection(old.uri, { directConnection: true }).asPromise();
      await conn.useDb('roster').collection('users').insertMany(
        Array.from({ length: 1500 }, (_, i) => ({ _id: `u${i}`, orgId: 'o1', userNameKey: `user${i}`, created: new Date(i) })) as never[],
      );
      await conn.useDb('roster').collection('tokens').insertOne({ _id: 't1', secretHash: 'h' } as never);
      await conn.close();
      await old.stop();

      for (const mode of ['auto', 'ferretdb-postgresql'] as const) {
        const refused = await startEmbeddedDatabase({ dataDir, mode, projectRoot }).then(
          async (db) => {
            await db.stop();
            return undefined;
          },
          (err: Error) => err,
        );
        expect(refused, mode).to.be.instanceOf(SqliteDataError);
        expect(refused?.message).to.include(`ROSTER_DATA_DIR=${dataDir} npm run db:migrate-sqlite`);
      }

      const copied = await migrateSqliteData({ dataDir, projectRoot });
      expect(copied).to.deep.include({ db: 'roster', collection: 'users', count: 1500 });
      expect(copied).to.deep.include({ db: 'roster', collection: 'tokens', count: 1 });

      const db = await startEmbeddedDatabase({ dataDir, mode: 'auto', projectRoot });
      try {
        expect(db.engine).to.equal('ferretdb-postgresql');
        const after = await mongoose.createConnection(db.uri, { directConnection: true }).asPromise();
        const users = after.useDb('roster').collection('users');
        expect(await users.countDocuments({})).to.equal(1500);
        expect((await users.findOne({ _id: 'u7' as never }))?.created).to.deep.equal(new Date(7));
        await after.close();
      } finally {
        await db.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reports a PostgreSQL that died with a log line, and /readyz answers 503 at once instead of hanging', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    let reported: (message: string) => void = () => undefined;
    const fault = new Promise<string>((resolve) => {
      reported = resolve;
    });
    const db = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb-postgresql', projectRoot: h().config.projectRoot, ephemeral: true, onFault: (m) => reported(m) });
    const store = await connectStore(db.uri, { dbName: 'roster', postgresUrl: db.postgresUrl! });
    try {
      const app = createApp({ config: testConfig(), store, logger: createLogger('silent'), clock: h().clock });
      await supertest(app).get('/readyz').expect(200);
      const postgres = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postgres, 'SIGKILL');
      expect(await fault).to.match(new RegExp(`^PostgreSQL \\(pid \\d+\\) exited \\(SIGKILL\\)`));
      const res = await supertest(app).get('/readyz').timeout(10_000);
      expect(res.status).to.equal(503);
    } finally {
      await store.close().catch(() => undefined);
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
