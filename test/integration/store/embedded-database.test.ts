import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { startEmbeddedDatabase } from '../../../src/store/embedded-database.js';
import { h } from '../../support/harness.js';

function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
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
});
