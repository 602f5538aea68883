import { randomInt } from 'node:crypto';

/** IDs with these prefixes are reserved by mPaaS for its own mini programs. */
export const RESERVED_PREFIXES = ['666', '20000'] as const;

export const isReservedMiniProgramId = (id: string) => RESERVED_PREFIXES.some((p) => id.startsWith(p));

/** A random integer in [min, max): `crypto.randomInt` unless a test scripts the draws. */
export type RandomInt = (min: number, max: number) => number;

/**
 * Draws a 16-digit mini program ID (no leading zero) from `random`, skipping the reserved prefixes: about one draw in
 * 800 starts with 666 or 20000 and is drawn again.
 */
export function drawMiniProgramId(random: RandomInt = randomInt): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const id = String(random(1, 10)) + Array.from({ length: 15 }, () => random(0, 10)).join('');
    if (!isReservedMiniProgramId(id)) return id;
  }
  throw new Error('The random source drew 100 reserved mini program IDs in a row.');
}
