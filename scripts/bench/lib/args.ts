/** Command-line flags of scripts/bench/query.ts (no dependency: node:util parseArgs). */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** undefined: the default for the engine (see query.ts) */
  users?: number;
  requests?: number;
  warmup?: number;
  batch: number;
  mongodbUri?: string;
  engine: 'auto' | 'ferretdb' | 'mongodb-memory-server';
  out?: string;
  seed: number;
  help: boolean;
}

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new Error(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be >= ${min}, got ${text}`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      batch: { type: 'string' },
      'mongodb-uri': { type: 'string' },
      engine: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const engine = values.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'ferretdb' && engine !== 'mongodb-memory-server') {
    throw new Error(`--engine must be auto, ferretdb or mongodb-memory-server, got "${engine}"`);
  }
  const uri = values['mongodb-uri'];
  if (uri !== undefined && !/^mongodb(\+srv)?:\/\//.test(uri)) throw new Error('--mongodb-uri must be a mongodb:// or mongodb+srv:// URI');
  return {
    ...(values.users !== undefined ? { users: positiveInt('users', values.users, 0, 200) } : {}),
    ...(values.requests !== undefined ? { requests: positiveInt('requests', values.requests, 0) } : {}),
    ...(values.warmup !== undefined ? { warmup: positiveInt('warmup', values.warmup, 0, 0) } : {}),
    batch: positiveInt('batch', values.batch, 1000),
    ...(uri ? { mongodbUri: uri } : {}),
    engine,
    ...(values.out ? { out: values.out } : {}),
    seed: positiveInt('seed', values.seed, 42, 0),
    help: values.help === true,
  };
}
