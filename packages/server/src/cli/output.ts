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

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** Upload progress on stderr: a line that redraws itself on a terminal, quarter steps otherwise. */
export function uploadProgress(out: Output, label: string) {
  let lastQuarter = -1;
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  return (sent: number, total: number) => {
    if (out.quiet) return;
    const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${label}: ${pct}% (${mib(sent)} of ${mib(total)} MiB)${sent === total ? '\n' : ''}`);
    } else if (Math.floor(pct / 25) > lastQuarter) {
      lastQuarter = Math.floor(pct / 25);
      process.stderr.write(`${label}: ${pct}% (${mib(sent)} of ${mib(total)} MiB)\n`);
    }
  };
}
