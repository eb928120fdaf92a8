// Random numbers and UUIDs from an injected source. Inside a workflow the source is Temporal's deterministic
// Math.random (or uuid4()); in tests it is a fixed sequence. A seed gives the same number on every run.

import type { RandomSource } from './errors';

/** mulberry32: a small, well-distributed 32-bit PRNG, used for seeded States.MathRandom and $random(seed). */
export function seededRandom(seed: number): RandomSource {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [start, end) drawn from `random`. */
export function randomIntBetween(start: number, end: number, random: RandomSource): number {
  return start + Math.floor(random() * (end - start));
}

/** A version 4 UUID (RFC 9562 §5.4) built from `random`, for callers without a UUID source of their own. */
export function uuidFromRandom(random: RandomSource): string {
  const hex: string[] = [];
  for (let i = 0; i < 16; i++) {
    let byte = Math.floor(random() * 256) & 0xff;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    if (i === 8) byte = (byte & 0x3f) | 0x80;
    hex.push(byte.toString(16).padStart(2, '0'));
  }
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
