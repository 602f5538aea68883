import { Type, type Static, type TSchema } from 'typebox';

export const TimestampSchema = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

export const PageQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});
export type PageQuery = Static<typeof PageQuerySchema>;

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
