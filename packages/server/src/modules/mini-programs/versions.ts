/** Compares dotted numeric versions (`10.2.3` vs `10.2`): missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The one spelling of a version: each part without leading zeros (`1.0.0.01` → `1.0.0.1`). Versions are numbers,
 * so two spellings of one number must not become two packages.
 */
export const canonicalVersion = (v: string) =>
  v
    .split('.')
    .map((part) => String(Number(part)))
    .join('.');

/** Whether a client version lies in an optional inclusive range. */
export const inRange = (v: string, min: string | null, max: string | null) =>
  (!min || compareVersions(v, min) >= 0) && (!max || compareVersions(v, max) <= 0);
