/**
 * Bulk invitations from the command line: uploads a CSV, XLSX or JSON file to POST /api/v1/imports,
 * shows the job's progress until it ends, then prints the counts and the first failed rows.
 *
 *   npm run import -- --url http://localhost:8080 --token <admin token> --file users.xlsx
 *
 * Flags:
 *   --url URL          Roster's base URL (default http://127.0.0.1:8080)
 *   --token TOKEN      an admin-scope token (default: the ROSTER_ADMIN_TOKEN environment variable,
 *                      which keeps the token out of the process list)
 *   --file PATH        the file; its type comes from the extension (.csv, .xlsx, .json)
 *   --format F         csv | xlsx | json, when the extension says otherwise
 *   --errors N         failed rows to print at the end (default 20)
 *   --poll-ms N        how often to ask for progress (default 1000)
 *
 * The progress goes to stderr: one bar redrawn with \r on a terminal, a line every few seconds
 * otherwise (CI logs, pipes). The summary goes to stdout. Exit code: 0 when the job completed
 * (even with failed rows: they are the report), 1 when it failed, 2 for a usage error, 3 for an
 * HTTP or network error. Ctrl-C stops watching; the job goes on in the server.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', xlsx: XLSX, json: 'application/json' } as const;
type Format = keyof typeof CONTENT_TYPES;

export interface JobView {
  id: string;
  state: 'queued' | 'running' | 'completed' | 'failed';
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  failureReason?: string;
  errors: { row: number; email: string; code: string; reason: string }[];
}

export interface ImportOptions {
  url: string;
  token: string;
  file: string;
  format?: Format | undefined;
  errors?: number;
  pollMs?: number;
  /** where the progress goes (stderr) */
  progress: { write(text: string): unknown };
  /** where the summary goes (stdout) */
  summary: { write(text: string): unknown };
  /** redraw one bar with \r (a terminal) rather than print lines */
  isTTY: boolean;
  /** stops watching (Ctrl-C) */
  signal?: AbortSignal;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function formatOf(file: string, given?: string): Format {
  const format = (given ?? extname(file).slice(1)).toLowerCase();
  if (format === 'csv' || format === 'xlsx' || format === 'json') return format;
  throw new CliError(`cannot tell the file type of "${file}": use a .csv, .xlsx or .json file, or --format`, 2);
}

const n = (x: number) => x.toLocaleString('en-US');

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress line: a bar, the percentage, the counts and the elapsed time. */
export function renderProgress(job: Pick<JobView, 'state' | 'total' | 'processed' | 'succeeded' | 'failed'>, elapsedMs: number, width = 30): string {
  const ratio = job.total > 0 ? Math.min(1, job.processed / job.total) : 0;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `${bar} ${pct} ${n(job.processed)}/${n(job.total)} rows · ${n(job.succeeded)} invited · ${n(job.failed)} failed · ${job.state} · ${clock(elapsedMs)}`;
}

async function call(url: string, init: RequestInit, what: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new CliError(`${what}: cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`, 3);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { detail: text.slice(0, 500) };
  }
  return { status: res.status, headers: res.headers, body };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

/** Uploads, watches and reports. Resolves to the process exit code. */
export async function runImport(opts: ImportOptions): Promise<number> {
  const base = opts.url.replace(/\/+$/, '');
  const format = formatOf(opts.file, opts.format);
  let data: Buffer;
  try {
    data = await readFile(opts.file);
  } catch (err) {
    throw new CliError(`cannot read ${opts.file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  const auth = { Authorization: `Bearer ${opts.token}` };
  const started = Date.now();
  opts.progress.write(`uploading ${basename(opts.file)} (${n(data.length)} bytes) to ${base}\n`);
  const uploaded = await call(
    `${base}/api/v1/imports?fileName=${encodeURIComponent(basename(opts.file))}`,
    { method: 'POST', headers: { ...auth, 'Content-Type': CONTENT_TYPES[format] }, body: data, ...(opts.signal ? { signal: opts.signal } : {}) },
    'upload',
  );
  if (uploaded.status !== 202) {
    throw new CliError(`upload refused: HTTP ${uploaded.status}: ${String(uploaded.body.detail ?? JSON.stringify(uploaded.body))}`, 3);
  }
  // The job is read through the URL given here rather than Location's host: BASE_URL may name a public
  // address this machine does not reach (a proxy in front of Roster).
  const location = `${base}/api/v1/jobs/${encodeURIComponent(String(uploaded.body.id))}`;
  let job = uploaded.body as unknown as JobView;
  opts.progress.write(`job ${job.id}: ${n(job.total)} rows\n`);

  const pollMs = opts.pollMs ?? 1000;
  let lastLine = 0;
  let lastState = '';
  const draw = (final: boolean) => {
    const line = renderProgress(job, Date.now() - started);
    if (opts.isTTY) opts.progress.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || job.state !== lastState || Date.now() - lastLine >= Math.max(5000, pollMs)) {
      opts.progress.write(`${line}\n`);
      lastLine = Date.now();
    }
    lastState = job.state;
  };
  let failures = 0;
  while (job.state === 'queued' || job.state === 'running') {
    draw(false);
    await sleep(pollMs, opts.signal);
    const res = await call(`${location}?errorsCount=0`, { headers: auth, ...(opts.signal ? { signal: opts.signal } : {}) }, 'progress');
    if (res.status !== 200) {
      // A server restarting resumes the job: a few failed polls in a row are waited out.
      failures += 1;
      if (failures >= 5 || res.status === 401 || res.status === 403 || res.status === 404) {
        throw new CliError(`progress: HTTP ${res.status}: ${String(res.body.detail ?? '')}`, 3);
      }
      continue;
    }
    failures = 0;
    job = res.body as unknown as JobView;
  }
  draw(true);

  const shown = opts.errors ?? 20;
  const report = await call(`${location}?errorsCount=${Math.min(shown, 1000)}`, { headers: auth }, 'report');
  if (report.status === 200) job = report.body as unknown as JobView;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  opts.summary.write(
    `Job ${job.id} ${job.state} in ${seconds} s: ${n(job.total)} rows, ${n(job.processed)} processed, ${n(job.succeeded)} invited, ${n(job.failed)} failed.\n`,
  );
  if (job.failureReason) opts.summary.write(`Reason: ${job.failureReason}\n`);
  if (shown > 0 && job.errors.length > 0) {
    opts.summary.write(`${job.failed > job.errors.length ? `First ${job.errors.length} of ${n(job.failed)}` : 'All'} failed rows:\n`);
    for (const e of job.errors) opts.summary.write(`  row ${String(e.row).padEnd(7)} ${(e.email || '(no email)').padEnd(32)} ${e.reason}\n`);
    if (job.failed > job.errors.length) opts.summary.write(`The full list: ${location}?errorsStartIndex=1&errorsCount=1000 (paged)\n`);
  }
  return job.state === 'completed' ? 0 : 1;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        token: { type: 'string' },
        file: { type: 'string' },
        format: { type: 'string' },
        errors: { type: 'string', default: '20' },
        'poll-ms': { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write('usage: npm run import -- --url http://localhost:8080 --token <admin token> --file users.xlsx [--format csv|xlsx|json] [--errors 20]\n');
    return;
  }
  // A token on the command line shows in the process list; the environment variable does not.
  const token = values.token ?? process.env.ROSTER_ADMIN_TOKEN;
  if (!token || !values.file) {
    process.stderr.write('--file and --token (or ROSTER_ADMIN_TOKEN) are required; --help for usage\n');
    process.exit(2);
  }
  const errors = Number(values.errors);
  const pollMs = Number(values['poll-ms']);
  if (!Number.isInteger(errors) || errors < 0 || !Number.isInteger(pollMs) || pollMs < 10) {
    process.stderr.write('--errors must be an integer >= 0 and --poll-ms an integer >= 10\n');
    process.exit(2);
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort(new Error('interrupted')));
  try {
    const code = await runImport({
      url: values.url,
      token,
      file: values.file,
      format: values.format as Format | undefined,
      errors,
      pollMs,
      progress: process.stderr,
      summary: process.stdout,
      isTTY: Boolean(process.stderr.isTTY),
      signal: abort.signal,
    });
    process.exitCode = code;
  } catch (err) {
    if (abort.signal.aborted) {
      process.stderr.write('\nstopped watching; the job goes on in the server\n');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 3;
  }
}

// No top-level await: the tests import this module, and mocha loads such modules differently.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
