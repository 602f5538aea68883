import { ErrorCatalogue, type ErrorCode } from '@mpop/contracts';

export interface FieldError {
  path: string;
  message: string;
  /** The schema rule broken (`maxLength`, `required`, `choice`), so clients can say it in their own language. */
  rule?: string;
  /** The rule's specifics (`{ limit: 64 }`, `{ allowed: 'android, ios' }`). */
  params?: Record<string, string | number>;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Only for the codes whose catalogue entry lists it in `otherStatuses` (an upstream timeout: 504). */
  status?: number;
  /** The specifics `detail` names, by name, for clients that say the problem in another language (never secrets). */
  params?: Record<string, string | number>;
}

/**
 * The one error type services throw. The status comes from the error catalogue (`@mpop/contracts`); the error
 * handler turns it into an RFC 9457 problem. `detail` must be a sentence a person can act on and must never
 * contain secrets.
 */
export class AppError extends Error {
  readonly status: number;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  readonly params?: Record<string, string | number>;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail);
    this.name = 'AppError';
    const entry: { status: number; otherStatuses?: readonly number[] } = ErrorCatalogue[code];
    if (options.status !== undefined && options.status !== entry.status && !entry.otherStatuses?.includes(options.status)) {
      throw new Error(`AppError: ${code} is never answered with ${options.status}`);
    }
    this.status = options.status ?? entry.status;
    this.errors = options.errors;
    this.headers = options.headers;
    this.params = options.params;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} does not exist or has been deleted.`);
export const validationFailed = (path: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${path}: ${message}`, { errors: [{ path, message }] });
