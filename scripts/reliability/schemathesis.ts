/**
 * Schemathesis (PyPI `schemathesis`) over the OpenAPI document Roster serves, every operation with
 * each scope that may call it, with every check (`--checks all`). Not part of `npm test`.
 *
 *   python3 -m venv .venv && .venv/bin/pip install schemathesis
 *   SCHEMATHESIS=.venv/bin/schemathesis npx tsx scripts/reliability/schemathesis.ts --max-examples 100 [--workers 2]
 *     [--scopes scim,admin] [-- <more schemathesis options, e.g. --include-path /api/v1/imports>]
 *
 * Starts Roster on a fresh embedded database (src/main.ts, as `npm start` does), creates an
 * organization with a token per scope, and runs one schemathesis pass per scope (scim, admin,
 * signin, operator, metrics with ROSTER_METRICS_TOKEN, and the public operations without a token), each on a copy of the document that
 * keeps only that scope's operations. Rate limits are off for the run (429 is the limiter, not the
 * API under test), ROSTER_SCRYPT_LOG_N=12 keeps sign-in fuzzing fast and a long poll on /ssf/poll waits
 * 2 s, not 15. Reports go to
 * reliability-results/schemathesis-<scope>/ (JSON); the summary is printed. Exit 1 on any failure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createOrg, newOperatorToken, PROJECT_ROOT, startServer } from './lib.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** The document with only the operations whose security names `scope` (null: the public ones). */
function scopedDocument(doc: any, scope: string | null): { doc: any; operations: number } {
  const copy = JSON.parse(JSON.stringify(doc));
  let operations = 0;
  for (const [path, item] of Object.entries<any>(copy.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security: Record<string, string[]>[] = op.security ?? copy.security ?? [];
      const scopes = security.flatMap((s) => Object.values(s).flat());
      // GET /metrics has a scheme of its own (metricsToken), with no scope.
      const keep =
        scope === null
          ? security.length === 0 || security.some((s) => Object.keys(s).length === 0)
          : scope === 'metrics'
            ? security.some((s) => 'metricsToken' in s)
            : scopes.includes(scope);
      if (keep) operations += 1;
      else delete item[method];
    }
    if (!METHODS.some((m) => item[m])) delete copy.paths[path];
  }
  return { doc: copy, operations };
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const st = process.env.SCHEMATHESIS ?? 'schemathesis';
  const maxExamples = option('max-examples', '100');
  const workers = option('workers', '1');
  const only = option('scopes', 'scim,admin,signin,operator,metrics,public').split(',');
  // Anything after `--` goes to schemathesis as it is (for example `--include-path /api/v1/imports`).
  const dashes = process.argv.indexOf('--');
  const passThrough = dashes >= 0 ? process.argv.slice(dashes + 1) : [];
  const results = join(PROJECT_ROOT, 'reliability-results');
  mkdirSync(results, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-schemathesis-'));
  const operator = newOperatorToken();
  const metricsToken = `metrics-${randomBytes(16).toString('hex')}`;
  const server = await startServer({
    ROSTER_METRICS_TOKEN: metricsToken,
    ROSTER_DATA_DIR: dataDir,
    ROSTER_OPERATOR_TOKEN: operator,
    ROSTER_RATE_LIMIT_PER_SECOND: '0',
    ROSTER_AUTH_FAILURES_PER_MINUTE: '0',
    ROSTER_SCRYPT_LOG_N: '12',
    ROSTER_READINESS_DRAIN_MS: '0',
    // A poll without returnImmediately is an RFC 8936 long poll: it waits for a SET by design, and
    // schemathesis's response-time check (10 s under --checks all) would count the wait as slowness.
    ROSTER_EVENTS_POLL_WAIT_SECONDS: '2',
  });
  // The server's own log would fill the terminal: it goes to reliability-results/schemathesis-server.log
  // (JSON lines), with its stderr, for the cause of a 5xx or of a server that stops answering.
  const serverLog = createWriteStream(join(results, 'schemathesis-server.log'));
  server.child.stdout!.pipe(serverLog);
  server.child.stderr!.on('data', (c: Buffer) => serverLog.write(c));
  server.child.once('exit', (code, signal) => serverLog.write(`{"msg":"server exited","code":${code},"signal":"${signal}"}\n`));
  const summary: string[] = [];
  let failed = false;
  try {
    const org = await createOrg(server.url, operator, { name: 'schemathesis' });
    const signin = await call(server.url, org.adminToken, 'POST', '/api/v1/tokens', { name: 'signin', scopes: ['signin'] });
    const tokens: Record<string, string | null> = {
      scim: org.scimToken,
      admin: org.adminToken,
      signin: signin.body.token as string,
      operator,
      metrics: metricsToken,
      public: null,
    };
    const served = (await call(server.url, '', 'GET', '/openapi.json')).body;
    for (const scope of only) {
      const { doc, operations } = scopedDocument(served, scope === 'public' ? null : scope);
      const file = join(dataDir, `openapi-${scope}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const reportDir = join(results, `schemathesis-${scope}`);
      rmSync(reportDir, { recursive: true, force: true });
      const token = tokens[scope];
      const args = [
        '--config-file', join(PROJECT_ROOT, 'scripts', 'reliability', 'schemathesis.toml'),
        'run', file, '--url', server.url, '--checks', 'all', '--max-examples', maxExamples, '--workers', workers,
        '--report', 'json', '--report-dir', reportDir, '--no-color', '--seed', '1',
        '--request-timeout', '30', '--suppress-health-check', 'all',
        ...(token ? ['-H', `Authorization: Bearer ${token}`] : []),
        ...passThrough,
      ];
      process.stdout.write(`\n=== schemathesis: scope ${scope}, ${operations} operations, --max-examples ${maxExamples} ===\n`);
      const code = await run(st, args);
      failed ||= code !== 0;
      summary.push(`${scope}: ${operations} operations, exit ${code} (report ${reportDir})`);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${summary.join('\n')}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`schemathesis run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
