/**
 * Jitter on retry delays (Standard Webhooks: "add some level of random jitter"; Svix: ±20 %),
 * deterministic: the spread comes from a hash of the delivery id and the attempt number, not a
 * random source, so the same attempt always gets the same delay (an activity retried after a
 * worker crash, a replayed workflow, a test) while different deliveries failing together spread
 * out. Pure, so workflow code may import it too.
 */
export const JITTER_RATIO = 0.2;

/** 32-bit FNV-1a: tiny, well spread, and the same on every platform. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `baseMs` moved by at most ±JITTER_RATIO, by a fraction fixed by (seed, attempt). */
export function jitteredDelayMs(baseMs: number, seed: string, attempt: number): number {
  const unit = fnv1a(`${seed}:${attempt}`) / 0x1_0000_0000; // [0, 1)
  return Math.round(baseMs * (1 + JITTER_RATIO * (2 * unit - 1)));
}

/**
 * The delay before the attempt after `attemptInBudget` (1-based within the current budget: a
 * redrive starts a new one): `delaysMs[attemptInBudget - 1]`, the last entry past the end, jittered.
 */
export function nextRetryDelayMs(delaysMs: readonly number[], attemptInBudget: number, seed: string): number | undefined {
  if (delaysMs.length === 0) return undefined;
  const base = delaysMs[Math.min(Math.max(attemptInBudget, 1), delaysMs.length) - 1]!;
  return jitteredDelayMs(base, seed, attemptInBudget);
}
