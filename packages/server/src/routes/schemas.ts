import { Type, type TSchema } from 'typebox';
import { ProblemSchema } from '@mpop/contracts';

/** Declares a route's success answers plus the problem envelope for every error, for validation and OpenAPI. */
export function responses<T extends Record<number, TSchema>>(ok: T) {
  return { ...ok, '4xx': ProblemSchema, '5xx': ProblemSchema };
}

export const NoContent = Type.Null({ description: 'No content' });
