/** Small numeric helpers, free of application imports so that load-generator threads stay light. */

/** Nearest-rank percentiles of `values` (any order); `ps` in percent, e.g. [50, 99]. */
export function percentiles(values: ArrayLike<number>, ps: number[]): Record<string, number> {
  const sorted = Float64Array.from(values).sort();
  const out: Record<string, number> = {};
  for (const p of ps) {
    const key = `p${String(p).replace('.', '_')}`;
    if (sorted.length === 0) {
      out[key] = Number.NaN;
      continue;
    }
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    out[key] = sorted[rank - 1];
  }
  return out;
}

/** Rounds to `digits` decimals for the report. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** candidate ÷ baseline, or null when the baseline is missing or zero. */
export function ratio(candidate: number, baseline: number): number | null {
  if (!Number.isFinite(candidate) || !Number.isFinite(baseline) || baseline === 0) return null;
  return round(candidate / baseline, 3);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
