import { useState } from 'react';
import { useSearchParams } from 'react-router';

export const PAGE_SIZES = [10, 20, 50, 100];

/**
 * A list's filters and page, kept in the URL (`?state=pending&page=2`): a reload or a shared link keeps them.
 * `filters` names the string filters and their defaults (a default is left out of the URL).
 */
export function useListParams<F extends string>(filters: Record<F, string>) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(Object.entries<string>(filters).map(([k, d]) => [k, params.get(k) ?? d])) as Record<F, string>;
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const size = Number.parseInt(params.get('pageSize') ?? '', 10);
  const pageSize = PAGE_SIZES.includes(size) ? size : 10;
  const set = (next: Partial<Record<F, string>> & { page?: number; pageSize?: number }) => {
    const out = new URLSearchParams();
    for (const [k, d] of Object.entries<string>(filters)) {
      const v = (next as Record<string, string | undefined>)[k] ?? values[k as F];
      if (v !== d) out.set(k, v);
    }
    // A changed filter starts from the first page.
    const filterChanged = Object.keys(filters).some((k) => k in next);
    const p = next.page ?? (filterChanged ? 1 : page);
    const s = next.pageSize ?? pageSize;
    if (p > 1) out.set('page', String(p));
    if (s !== 10) out.set('pageSize', String(s));
    setParams(out);
  };
  /** The Pager's props for this list. */
  const pager = (total: number, showTotal: (total: number) => string) => ({
    current: page,
    pageSize,
    total,
    pageSizeOptions: PAGE_SIZES,
    showTotal,
    onChange: (p: number, s: number) => set({ page: s !== pageSize ? 1 : p, pageSize: s } as Parameters<typeof set>[0]),
  });
  return { ...values, page, pageSize, set, pager };
}

/**
 * Pages of a list held whole in memory (a dialog's short history), not in the URL: the rows of the current page
 * and the Pager's props, or no Pager while everything fits on one page.
 */
export function useLocalPages<T>(rows: T[] | undefined, pageSize = 10) {
  const [page, setPage] = useState(1);
  const total = rows?.length ?? 0;
  const last = Math.max(1, Math.ceil(total / pageSize));
  const current = Math.min(page, last);
  return {
    rows: rows?.slice((current - 1) * pageSize, current * pageSize),
    pagination: total > pageSize ? { current, pageSize, total, onChange: (p: number) => setPage(p) } : (false as const),
  };
}
