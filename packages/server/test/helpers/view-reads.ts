import { vi } from 'vitest';
import { GateRepository } from '../../src/modules/gate/gate.repository.js';

/**
 * Counts the gate's reads of each host app's view from now on, by host app row ID (a spy on the batch read of their
 * releases: undone by `vi.restoreAllMocks()`). `only`: the row IDs to count (others' views may be read too).
 * @returns the counts, kept up to date.
 */
export function countViewReads(only?: ReadonlySet<number>): Map<number, number> {
  const reads = new Map<number, number>();
  const releases = GateRepository.prototype.releases;
  vi.spyOn(GateRepository.prototype, 'releases').mockImplementation(function (this: GateRepository, ids: readonly number[]) {
    for (const id of ids) if (!only || only.has(Number(id))) reads.set(id, (reads.get(id) ?? 0) + 1);
    return releases.call(this, ids);
  });
  return reads;
}
