import { vi } from 'vitest';
import { PackageSigner } from '../../src/modules/signing/package-signer.js';

/**
 * Holds every package and binding signature the signer makes until `letGo` is called (a spy: undone by
 * `vi.restoreAllMocks()`). @returns the function that lets them through.
 */
export function holdSigning(): () => void {
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  const sign = PackageSigner.prototype['sign' as keyof PackageSigner] as (...args: unknown[]) => Promise<unknown>;
  vi.spyOn(PackageSigner.prototype as unknown as { sign: typeof sign }, 'sign').mockImplementation(async function (
    this: PackageSigner,
    ...args: unknown[]
  ) {
    await held;
    return sign.apply(this, args);
  });
  return letGo;
}
