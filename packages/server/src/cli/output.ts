/** How the CLI prints: JSON for scripts (--json), short lines for people; progress only on stderr. */
export interface Output {
  json: boolean;
  quiet: boolean;
  /** The result: the API's JSON with --json, else the human text. */
  result(json: unknown, human: () => string): void;
  /** A progress or status note on stderr (not with --quiet). */
  note(message: string): void;
}

export function output(opts: { json?: boolean; quiet?: boolean }): Output {
  const json = Boolean(opts.json);
  const quiet = Boolean(opts.quiet);
  return {
    json,
    quiet,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value ?? {}, null, 2)}\n` : `${human()}\n`);
    },
    note(message) {
      if (!quiet) process.stderr.write(`${message}\n`);
    },
  };
}

/** East Asian wide and full-width characters take two columns of a terminal; combining marks none. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;
const ZERO = /\p{Mn}|\p{Cf}/u;

/** How many terminal columns a text takes (so that names in Chinese line up with the rest). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

/** Columns padded to their widest cell, by display width. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i]))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - displayWidth(c)))).join('  ')).join('\n');
}

/** A byte count as a person reads it: 512 B, 3.4 KiB, 12.0 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Upload progress on stderr: a line that redraws itself on a terminal, quarter steps otherwise. */
export function uploadProgress(out: Output, label: string) {
  let lastQuarter = -1;
  return (sent: number, total: number) => {
    if (out.quiet) return;
    const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${label}: ${pct}% (${bytes(sent)} of ${bytes(total)})${sent === total ? '\n' : ''}`);
    } else if (Math.floor(pct / 25) > lastQuarter) {
      lastQuarter = Math.floor(pct / 25);
      process.stderr.write(`${label}: ${pct}% (${bytes(sent)} of ${bytes(total)})\n`);
    }
  };
}
