import { randomBytes, randomInt } from 'node:crypto';

/**
 * Meta-looking ids and the rate check the simulator applies, free of side effects so that the
 * benchmarks can share them (the process helpers install signal handlers when imported).
 */
export const newPageId = (): string => String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999));
export const newPsid = (): string => String(randomInt(1_000_000_000, 9_999_999_999)) + String(randomInt(1000, 9999));
export const pageToken = (): string => `EAAG${randomBytes(24).toString('base64url')}`;

/** The most calls that arrived within any one-second window: how a Page's rate looks from Meta's side. */
export function busiestSecond(arrivals: number[]): number {
  const times = [...arrivals].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1_000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}
