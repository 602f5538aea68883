import { Type, type TSchema } from 'typebox';

export const TimestampSchema = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

/** The last page a list serves: far past any real list, and it keeps the row offset a small, exact integer. */
export const PAGE_MAX = 100_000;
export const PAGE_SIZE_MAX = 100;

/** `page` and `pageSize` of every paged list (`page=Infinity` or `page=1e17` is a validation error, not a query). */
export const PageQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: 20 })),
});

/** `{ items, total, page, pageSize }`, the shape of every paged list. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
  });
}
export interface PageOf<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
