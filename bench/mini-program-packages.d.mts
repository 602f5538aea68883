export type PairKind = 'one-file-changed' | 'file-added' | 'assets-recompressed';
export function packageFiles(seed?: number, bytes?: number): Map<string, Buffer>;
export function zipFiles(files: Map<string, Buffer>, options?: { level?: number }): Promise<Buffer>;
export function packagePair(kind: PairKind, seed?: number, bytes?: number): Promise<{ from: Buffer; to: Buffer }>;
export const PAIR_KINDS: PairKind[];
