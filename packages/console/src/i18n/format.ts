import { useMemo } from 'react';
import { type Lang, useI18n } from './i18n';

/** The BCP 47 locale of each UI language: dates and numbers follow the language picked, not the browser's. */
export const localeOf = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-US');

const UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;
const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** Formatters for one language: dates and times in the browser's time zone, numbers, sizes, "3 minutes ago". */
export function formatters(lang: Lang) {
  const locale = localeOf(lang);
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
  const numberFormat = new Intl.NumberFormat(locale);
  const sizeFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  return {
    /** `Nov 25, 2026, 2:36:42 PM` / `2026年11月25日 14:36:42`. */
    dateTime: (iso: string) => dateTimeFormat.format(new Date(iso)),
    date: (iso: string) => dateFormat.format(new Date(iso)),
    number: (n: number) => numberFormat.format(n),
    /** `12.3 KiB`. */
    bytes: (n: number) => {
      let value = n;
      let unit = 0;
      while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit++;
      }
      return `${sizeFormat.format(value)} ${UNITS[unit]}`;
    },
    /** `3 minutes ago` / `3分钟前`, `in 2 days` / `2天后`. */
    relative: (iso: string, now = Date.now()) => {
      let value = (Date.parse(iso) - now) / 1000;
      for (const [unit, size] of RELATIVE_STEPS) {
        if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
        value /= size;
      }
      return dateFormat.format(new Date(iso));
    },
  };
}
export type Formatters = ReturnType<typeof formatters>;

/** The formatters of the UI's language. */
export function useFormat(): Formatters {
  const { lang } = useI18n();
  return useMemo(() => formatters(lang), [lang]);
}
