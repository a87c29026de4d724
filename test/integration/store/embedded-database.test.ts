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

describe('Embedded FerretDB', () => {
  it('stops a FerretDB a killed process left on the same data directory before starting its own', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-embedded-'));
    const projectRoot = h().config.projectRoot;
    const first = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb', projectRoot });
    const leftover = Number(readFileSync(join(dataDir, 'ferretdb', 'ferretdb.pid'), 'utf8'));
    expect(running(leftover)).to.equal(true);
    // As after kill -9 of the Roster process: the first FerretDB was never stopped.
    const second = await startEmbeddedDatabase({ dataDir, mode: 'ferretdb', projectRoot });
    try {
      expect(running(leftover)).to.equal(false);
      const current = Number(readFileSync(join(dataDir, 'ferretdb', 'ferretdb.pid'), 'utf8'));
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
});
