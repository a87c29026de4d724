/**
 * Bulk import benchmark (issue 7): a generated XLSX of N rows that mixes good rows, bad domains,
 * invalid emails, unknown roles, duplicates within the file and against existing users, and rows
 * past the seat limit, uploaded over HTTP (POST /api/v1/imports) to Roster in-process on loopback;
 * the job is watched until it ends (GET /api/v1/jobs/{id}), then its per-row report is checked
 * against a model of the rules, row by row.
 *
 * Usage:
 *
 *   npm run bench:import                                  # 10,000 rows on the embedded database
 *   npm run bench:import -- --rows 1000                   # a quick run to project the time
 *   npm run bench:import -- --mongodb-uri mongodb://127.0.0.1:27017 --rows 10000
 *
 * Flags:
 *   --rows N           data rows in the file (default 10000)
 *   --existing N       users created over SCIM before the import (default rows / 50)
 *   --engine E         embedded database: auto | ferretdb-postgresql (or ferretdb) | ferretdb-sqlite |
 *                      mongodb-memory-server (default auto)
 *   --mongodb-uri URI  use this server instead of a throwaway embedded one (own database, dropped at the end)
 *   --out FILE         the JSON results (default bench-results/import-<timestamp>.json)
 *
 * The organization's seatLimit is set so that the last ~20% of the good rows overflow it. Prints the
 * upload time (parse check + storing the file), the job's wall time and rows/s, and this process's
 * memory (Roster runs in it): RSS and heap sampled every 50 ms, baseline before the upload and peak
 * during the job. Exits 1 when the report differs from the model in any row.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import { Cleanup, runBench, startBenchRoster } from './lib/harness.js';
import type { EmbeddedMode } from '../../src/store/embedded-database.js';
import { jsonClient } from './lib/http.js';

const REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const GOOD_DOMAIN = 'bench.example.com';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

const log = (m: string) => process.stdout.write(`${m}\n`);

interface Row {
  email: string;
  name: string;
  role: string;
}

type Code = 'invited' | 'invalidEmail' | 'invalidValue' | 'domainNotAllowed' | 'duplicateInFile' | 'duplicate' | 'seatLimit';

/** Row i (0-based; file row i + 2). The categories overlap on purpose: the model decides by the rules' order. */
function rowOf(i: number, existing: number): Row {
  const name = `Bench User ${i}`;
  let email = `user${i}@${GOOD_DOMAIN}`;
  let role = i % 3 === 0 ? 'admin' : 'user';
  if (i % 10 === 3) email = `user${i}@not-our-domain.test`;
  else if (i % 20 === 7 && i >= 5) email = `USER${i - 5}@${GOOD_DOMAIN}`; // the address of row i - 5 + 2, other case
  else if (i % 25 === 11 && existing > 0) email = `existing${i % existing}@${GOOD_DOMAIN}`;
  else if (i % 50 === 29) email = `not-an-email-${i}`;
  if (i % 100 === 41) role = 'wizard';
  return { email, name, role };
}

/**
 * The report the rules must give, in file order (import.service.ts): email format, domain, an
 * earlier row that invited the address, the role, an existing user (before or past the limit), seats.
 */
function expectedOutcomes(rows: number, existing: number, seatLimit: number): { codes: Code[]; firstRow: Map<number, number> } {
  const codes: Code[] = [];
  const firstRow = new Map<number, number>();
  const invited = new Map<string, number>();
  const existingKeys = new Set(Array.from({ length: existing }, (_, k) => `existing${k}@${GOOD_DOMAIN}`));
  let used = existing;
  for (let i = 0; i < rows; i++) {
    const r = rowOf(i, existing);
    const key = r.email.toLowerCase();
    const row = i + 2;
    if (!r.email.includes('@')) codes.push('invalidEmail');
    else if (!key.endsWith(`@${GOOD_DOMAIN}`)) codes.push('domainNotAllowed');
    else if (invited.has(key)) {
      codes.push('duplicateInFile');
      firstRow.set(row, invited.get(key)!);
    } else if (r.role === 'wizard') codes.push('invalidValue');
    else if (existingKeys.has(key)) codes.push('duplicate');
    else if (used >= seatLimit) codes.push('seatLimit');
    else {
      used += 1;
      invited.set(key, row);
      codes.push('invited');
    }
  }
  return { codes, firstRow };
}

/** How many rows would be invited without a seat limit: the limit is set to 80% of it. */
function invitableRows(rows: number, existing: number): number {
  return expectedOutcomes(rows, existing, Number.MAX_SAFE_INTEGER).codes.filter((c) => c === 'invited').length;
}

async function workbook(rows: number, existing: number): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const ended = new Promise<void>((ok) => out.on('end', () => ok()));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true });
  const ws = wb.addWorksheet('Users');
  ws.addRow(['Email', 'Name', 'Role', 'Department']).commit();
  for (let i = 0; i < rows; i++) {
    const r = rowOf(i, existing);
    ws.addRow([r.email, r.name, r.role, `Dept ${i % 7}`]).commit();
  }
  ws.commit();
  await wb.commit();
  await ended;
  return Buffer.concat(parts);
}

interface MemorySample {
  rss: number;
  heapUsed: number;
}

function sampler(everyMs: number) {
  let peak: MemorySample = { rss: 0, heapUsed: 0 };
  const take = () => {
    const m = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed) };
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: (): MemorySample => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(cleanup: Cleanup): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      existing: { type: 'string' },
      engine: { type: 'string' },
      'mongodb-uri': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    log('usage: npm run bench:import -- [--rows N] [--existing N] [--engine auto|ferretdb|mongodb-memory-server] [--mongodb-uri URI] [--out FILE]');
    return;
  }
  const rows = values.rows === undefined ? 10_000 : Number(values.rows);
  if (!Number.isInteger(rows) || rows < 100 || rows > 1_000_000) throw new Error('--rows must be an integer from 100 to 1,000,000');
  const existing = values.existing === undefined ? Math.max(1, Math.floor(rows / 50)) : Number(values.existing);
  if (!Number.isInteger(existing) || existing < 0 || existing > 10_000) throw new Error('--existing must be an integer from 0 to 10,000');
  const engine = (values.engine ?? 'auto') as EmbeddedMode;
  if (!['auto', 'ferretdb', 'ferretdb-postgresql', 'ferretdb-sqlite', 'mongodb-memory-server'].includes(engine)) throw new Error(`--engine: unknown engine ${engine}`);

  const roster = await startBenchRoster(cleanup, { engine, mongodbUri: values['mongodb-uri'], requestTimeoutMs: REQUEST_TIMEOUT_MS, log });
  const seatLimit = existing + Math.floor(invitableRows(rows, existing) * 0.8);
  const org = await roster.operator.post('/api/v1/organizations', { name: `bench-import-${Date.now()}`, domains: [GOOD_DOMAIN], seatLimit });
  const orgId = String(org.id);
  const issue = async (scope: string) =>
    String((await roster.operator.post(`/api/v1/organizations/${orgId}/tokens`, { name: `bench-${scope}`, scopes: [scope] })).token);
  const adminToken = await issue('admin');
  const scim = jsonClient(roster.baseUrl, await issue('scim'), roster.requestTimeoutMs);
  const adminApi = jsonClient(roster.baseUrl, adminToken, roster.requestTimeoutMs);
  for (let k = 0; k < existing; k++) {
    await scim.post('/scim/v2/Users', { schemas: [USER_SCHEMA], userName: `existing${k}@${GOOD_DOMAIN}`, active: true });
  }
  const expected = expectedOutcomes(rows, existing, seatLimit);
  const expectedCounts: Record<string, number> = {};
  for (const c of expected.codes) expectedCounts[c] = (expectedCounts[c] ?? 0) + 1;
  const file = await workbook(rows, existing);
  log(`database: ${roster.serverName}; ${rows} rows (${mb(file.length)} XLSX), ${existing} existing users, seatLimit ${seatLimit}`);
  log(`expected: ${JSON.stringify(expectedCounts)}`);

  const baseline = process.memoryUsage();
  const memory = sampler(50);
  const t0 = performance.now();
  const res = await fetch(`${roster.baseUrl}/api/v1/imports?fileName=bench.xlsx`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': XLSX },
    body: file,
  });
  const accepted = (await res.json()) as { id: string; total: number };
  if (res.status !== 202) throw new Error(`upload: HTTP ${res.status}: ${JSON.stringify(accepted)}`);
  const uploadMs = performance.now() - t0;
  log(`upload answered 202 in ${(uploadMs / 1000).toFixed(2)} s (whole-file parse check + file stored); total ${accepted.total}`);

  let job: { state: string; processed: number; succeeded: number; failed: number; failureReason?: string };
  let lastLog = 0;
  for (;;) {
    job = (await adminApi.get(`/api/v1/jobs/${accepted.id}?errorsCount=0`)) as typeof job;
    if (job.state === 'completed' || job.state === 'failed') break;
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      const elapsed = (performance.now() - t0) / 1000;
      log(`  ${job.processed}/${rows} rows after ${elapsed.toFixed(0)} s (${(job.processed / elapsed).toFixed(1)} rows/s)`);
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  const wallMs = performance.now() - t0;
  const peak = memory.stop();
  if (job.state !== 'completed') throw new Error(`the job ${job.state}: ${job.failureReason ?? ''}`);

  // The whole report, page by page, against the model.
  const errors: { row: number; email: string; code: string; reason: string }[] = [];
  for (let start = 1; ; start += 1000) {
    const page = (await adminApi.get(`/api/v1/jobs/${accepted.id}?errorsStartIndex=${start}&errorsCount=1000`)) as unknown as { errors: typeof errors };
    errors.push(...page.errors);
    if (page.errors.length < 1000) break;
  }
  const problems: string[] = [];
  const got = new Map(errors.map((e) => [e.row, e]));
  expected.codes.forEach((code, i) => {
    const row = i + 2;
    const e = got.get(row);
    if (code === 'invited') {
      if (e) problems.push(`row ${row}: expected invited, got ${e.code} (${e.reason})`);
      return;
    }
    if (!e) problems.push(`row ${row}: expected ${code}, got invited`);
    else if (e.code !== code) problems.push(`row ${row}: expected ${code}, got ${e.code} (${e.reason})`);
    else if (code === 'duplicateInFile' && e.reason !== `duplicate of row ${expected.firstRow.get(row)}`) problems.push(`row ${row}: reason "${e.reason}"`);
    else if (code === 'seatLimit' && e.reason !== `seat limit reached: ${seatLimit} of ${seatLimit} seats in use`) problems.push(`row ${row}: reason "${e.reason}"`);
  });
  const gotCounts: Record<string, number> = { invited: job.succeeded };
  for (const e of errors) gotCounts[e.code] = (gotCounts[e.code] ?? 0) + 1;
  const users = (await scim.get('/scim/v2/Users?startIndex=1&count=1')) as { totalResults: number };
  const seats = (await adminApi.get('/api/v1/seats')) as { used: number };
  const invited = expectedCounts.invited ?? 0;
  if (users.totalResults !== existing + invited) problems.push(`users: expected ${existing + invited}, found ${users.totalResults}`);
  if (seats.used !== existing + invited) problems.push(`seats used: expected ${existing + invited}, found ${seats.used}`);
  if (job.processed !== rows || job.succeeded + job.failed !== rows) problems.push(`counters: ${JSON.stringify(job)}`);

  const rowsPerSecond = rows / (wallMs / 1000);
  log(`report:   ${JSON.stringify(gotCounts)}`);
  log(`job completed: ${rows} rows in ${(wallMs / 1000).toFixed(1)} s wall (upload included) = ${rowsPerSecond.toFixed(1)} rows/s`);
  log(`memory (this process, Roster in it): baseline RSS ${mb(baseline.rss)}, heap ${mb(baseline.heapUsed)}; peak RSS ${mb(peak.rss)} (+${mb(peak.rss - baseline.rss)}), heap ${mb(peak.heapUsed)} (+${mb(peak.heapUsed - baseline.heapUsed)})`);
  log(problems.length === 0 ? `per-row report: all ${rows} rows as expected` : `per-row report: ${problems.length} rows differ:\n  ${problems.slice(0, 20).join('\n  ')}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = resolve(values.out ?? join(roster.config.projectRoot, 'bench-results', `import-${stamp}.json`));
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        benchmark: 'import',
        at: new Date().toISOString(),
        environment: { node: process.version, cpus: cpus().length, database: roster.serverName, embedded: roster.embedded?.engine ?? null },
        rows,
        existing,
        seatLimit,
        fileBytes: file.length,
        uploadMs,
        wallMs,
        rowsPerSecond,
        memory: { baseline: { rss: baseline.rss, heapUsed: baseline.heapUsed }, peak },
        expected: expectedCounts,
        report: gotCounts,
        mismatches: problems.length,
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${outFile}`);
  if (problems.length > 0) throw new Error('the per-row report differs from the model');
}

await runBench('bench:import', main);
