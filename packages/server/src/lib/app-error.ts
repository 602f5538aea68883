import type { ErrorCode } from '@mpop/contracts';

export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type services throw. The error handler turns it into an RFC 9457 problem;
 * `detail` must be a sentence a person can act on and must never contain secrets.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', 404, `${what} does not exist or has been deleted.`);
export const validationFailed = (path: string, message: string) =>
  new AppError('VALIDATION_FAILED', 400, `${path}: ${message}`, [{ path, message }]);
