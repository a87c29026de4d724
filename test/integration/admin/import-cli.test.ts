import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { h, newOrg } from '../../support/harness.js';
import { withStub } from '../../support/contract-coverage.js';
import { csvFile, xlsxFile } from '../../support/import-files.js';
import { CliError, formatOf, renderProgress, runImport } from '../../../scripts/import.js';

class Collector {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('scripts/import.ts (npm run import)', () => {
  let server: Server;
  let url: string;
  let dir: string;

  before(async () => {
    // Roster on an ephemeral loopback port; the job runs in this process, the script talks HTTP.
    server = createServer(h().app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'roster-import-cli-'));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, shows progress lines until the job ends, prints the counts and the failed rows; exit code 0', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = join(dir, 'people.csv');
    writeFileSync(file, csvFile([['email', 'name'], ['ada@example.com', 'Ada'], ['bob@other.org', 'Bob'], ['grace@example.com', 'Grace']]));
    const progress = new Collector();
    const summary = new Collector();
    const code = await runImport({ url, token: org.adminToken, file, pollMs: 20, progress, summary, isTTY: false });
    expect(code).to.equal(0);
    expect(progress.text).to.match(/^uploading people\.csv \(\d+ bytes\)/);
    expect(progress.text).to.match(/\[#{30}\] 100% 3\/3 rows · 2 invited · 1 failed · completed/);
    expect(progress.text).to.not.include('\r');
    expect(summary.text).to.match(/^Job \S+ completed in [\d.]+ s: 3 rows, 3 processed, 2 invited, 1 failed\./);
    expect(summary.text).to.match(/All failed rows:\n {2}row 3 +bob@other\.org +email domain not allowed/);
  });

  it('redraws one bar with \\r on a terminal, and reads XLSX', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = join(dir, 'people.xlsx');
    writeFileSync(file, await xlsxFile([{ name: 'Users', rows: [['Email'], ['ada@example.com'], ['grace@example.com']] }]));
    const progress = new Collector();
    const summary = new Collector();
    expect(await runImport({ url, token: org.adminToken, file, pollMs: 20, progress, summary, isTTY: true })).to.equal(0);
    expect(progress.text).to.match(/\r\[#{30}\] 100% 2\/2 rows · 2 invited · 0 failed · completed · \d\d:\d\d\n$/);
    expect(summary.text).to.include('2 invited, 0 failed');
  });

  it('exits non-zero when the job fails, on an HTTP error, and for a file it cannot type', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = join(dir, 'one.csv');
    writeFileSync(file, csvFile([['email'], ['ada@example.com']]));
    const imports = h().services.imports;
    const realGet = imports.get.bind(imports);
    const failedView: typeof imports.get = async (ctx, id, page) => ({ ...(await realGet(ctx, id, page)), state: 'failed', failureReason: 'simulated: the file is gone' });
    const summary = new Collector();
    await withStub(imports, 'get', failedView, async () => {
      expect(await runImport({ url, token: org.adminToken, file, pollMs: 20, progress: new Collector(), summary, isTTY: false })).to.equal(1);
    });
    expect(summary.text).to.match(/ failed in /);
    expect(summary.text).to.include('Reason: simulated: the file is gone');

    let refused: unknown;
    try {
      await runImport({ url, token: org.scimToken, file, pollMs: 20, progress: new Collector(), summary: new Collector(), isTTY: false });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(CliError);
    expect((refused as CliError).exitCode).to.equal(3);
    expect((refused as CliError).message).to.match(/^upload refused: HTTP 403: this token lacks the "admin" scope/);
    expect(() => formatOf('users.txt')).to.throw(CliError, /\.csv, \.xlsx or \.json/);
    expect(formatOf('users.TXT', 'csv')).to.equal('csv');
  });

  it('renders the bar from the counters', () => {
    expect(renderProgress({ state: 'running', total: 200, processed: 50, succeeded: 40, failed: 10 }, 75_000, 10)).to.equal(
      '[###.......]  25% 50/200 rows · 40 invited · 10 failed · running · 01:15',
    );
    expect(renderProgress({ state: 'queued', total: 0, processed: 0, succeeded: 0, failed: 0 }, 0, 4)).to.equal('[....]   0% 0/0 rows · 0 invited · 0 failed · queued · 00:00');
  });

  it('runs as a command: npm run import -- --url --token --file', async function () {
    this.timeout(60_000);
    const org = await newOrg({ domains: ['example.com'] });
    const file = join(dir, 'cli.json');
    writeFileSync(file, JSON.stringify([{ email: 'ada@example.com' }, { email: 'ada@example.com' }]));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', '--url', url, '--file', file, '--poll-ms', '50'], {
      cwd: h().config.projectRoot,
      env: { ...process.env, ROSTER_ADMIN_TOKEN: org.adminToken },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).to.equal(0);
    expect(stderr).to.include('uploading cli.json');
    expect(stdout).to.match(/2 rows, 2 processed, 1 invited, 1 failed/);
    expect(stdout).to.match(/row 2 +ada@example\.com +duplicate of row 1/);
  });
});
