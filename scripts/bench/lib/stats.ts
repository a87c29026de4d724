/** Latency sampling and summaries for the benchmarks. */

export interface Summary {
  requests: number;
  /** completed requests per second over the measured loop (sequential) */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  totalMs: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: number[], totalMs: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    requests: sorted.length,
    rps: totalMs > 0 ? (sorted.length * 1000) / totalMs : NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    meanMs: sorted.length ? sum / sorted.length : NaN,
    totalMs,
  };
}

/**
 * Runs `op` `warmup` times unmeasured, then `requests` times one after the other
 * (never concurrently), timing each call with the monotonic clock.
 */
export async function measure(
  requests: number,
  warmup: number,
  op: (i: number) => Promise<void>,
): Promise<Summary> {
  for (let i = 0; i < warmup; i += 1) await op(-1 - i);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples, performance.now() - start);
}

/** A small seeded PRNG (mulberry32), so runs pick the same "random" users. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function fmtRate(rps: number): string {
  if (!Number.isFinite(rps)) return '-';
  return rps >= 100 ? rps.toFixed(0) : rps.toFixed(1);
}
