/** Rising percents above 0 ending at 100, from `1, 10, 50, 100`; undefined when the text is not that. */
export function parseSteps(text: string | undefined): number[] | undefined {
  const steps = (text ?? '')
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
  const ok = steps.length > 0 && steps.length <= 10 && steps.every((p, i) => p > 0 && p <= 100 && (i === 0 || p > steps[i - 1]));
  return ok && steps.at(-1) === 100 ? steps : undefined;
}

/** Rounds a rate (0..1) to a percent with at most one decimal. */
export const ratePercent = (rate: number) => Math.round(rate * 1000) / 10;
