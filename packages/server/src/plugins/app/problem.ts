import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCatalogue, type ErrorCode } from '@mpop/contracts';
import { AppError, type FieldError } from '../../lib/app-error.js';
import { isDatabaseUnavailable } from '../../db/connect.js';
import { isMultipartParseError } from './multipart.js';

/** Fastify's own 4xx errors that are not handled above, by status. */
const STATUS_CODES: Record<number, ErrorCode> = {
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function sendProblem(reply: FastifyReply, e: AppError) {
  // The request's "request completed" log line carries the refusal's code, so a refusal can be found in the log
  // by what it was (FORBIDDEN, RATE_LIMITED), not only by its status.
  (reply.log as { setBindings?: (bindings: Record<string, unknown>) => void }).setBindings?.({ code: e.code });
  // An error is never cacheable (a CDN in front of the package downloads must not keep a 404, 416 or 429).
  reply.header('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(e.headers ?? {})) reply.header(k, v);
  return reply
    .code(e.status)
    .type('application/problem+json')
    .send({
      type: `urn:mpop:problem:${e.code}`,
      title: ErrorCatalogue[e.code].title,
      status: e.status,
      detail: e.detail,
      code: e.code,
      ...(e.errors ? { errors: e.errors } : {}),
      ...(e.params ? { params: e.params } : {}),
    });
}

type AjvError = { instancePath: string; schemaPath?: string; message?: string; keyword: string; params: Record<string, unknown> };

const quoted = (values: unknown[]) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');

/**
 * A choice (`anyOf`, as TypeBox writes unions and literal lists) fails once per branch, in schema words ("must be
 * equal to constant" three times, then "must match a schema in anyOf"): one sentence that names what is allowed
 * replaces them, e.g. "must be one of android, ios, harmony".
 */
function collapseChoices(validation: AjvError[]): AjvError[] {
  const choices = validation.filter((v) => v.keyword === 'anyOf' && v.schemaPath);
  if (choices.length === 0) return validation;
  const inChoice = (v: AjvError, c: AjvError) => v !== c && v.schemaPath?.startsWith(`${c.schemaPath}/`);
  const out: AjvError[] = [];
  for (const v of validation) {
    if (choices.some((c) => inChoice(v, c))) continue;
    if (v.keyword !== 'anyOf' || !v.schemaPath) {
      out.push(v);
      continue;
    }
    const branches = validation.filter((b) => inChoice(b, v) && b.instancePath === v.instancePath);
    const constants = branches.filter((b) => b.keyword === 'const').map((b) => b.params.allowedValue);
    const types = [...new Set(branches.filter((b) => b.keyword === 'type').map((b) => String(b.params.type)))];
    const message =
      constants.length > 0 && constants.length === branches.length
        ? `must be one of ${quoted(constants)}`
        : types.length > 0 && types.length === branches.length
          ? `must be ${types.join(' or ')}`
          : 'is not one of the accepted forms (see /api/docs)';
    out.push({
      ...v,
      keyword: 'choice',
      message,
      params: constants.length > 0 && constants.length === branches.length ? { allowed: quoted(constants) } : {},
    });
  }
  return out;
}

/** The specifics of a broken rule a client needs to say it in its own words (`{ limit: 64 }`), none for the others. */
function ruleParams(v: AjvError): { params?: Record<string, string | number> } {
  const p = v.params ?? {};
  if (typeof p.limit === 'number') return { params: { limit: p.limit } };
  if (v.keyword === 'format' && typeof p.format === 'string') return { params: { format: p.format } };
  if (v.keyword === 'type' && p.type !== undefined) return { params: { type: String(p.type) } };
  if (v.keyword === 'enum') return { params: { allowed: quoted(p.allowedValues as unknown[]) } };
  if (v.keyword === 'choice' && typeof p.allowed === 'string') return { params: { allowed: p.allowed } };
  return {};
}

/** Turns Ajv's errors into `{ path, message, rule }` a person (or a client in another language) can use: `name`, `query.pageSize`. */
function fieldErrors(validation: AjvError[], context: string | undefined): FieldError[] {
  const prefix = context && context !== 'body' ? `${context === 'querystring' ? 'query' : context}.` : '';
  return collapseChoices(validation).map((v) => {
    const segments = v.instancePath.split('/').filter(Boolean);
    if (v.keyword === 'required') segments.push(String(v.params.missingProperty));
    if (v.keyword === 'additionalProperties') segments.push(String(v.params.additionalProperty));
    const message =
      v.keyword === 'additionalProperties'
        ? 'is not a known field'
        : v.keyword === 'required'
          ? 'is required'
          : v.keyword === 'isFile'
            ? 'must be a file'
            : v.keyword === 'enum'
              ? `must be one of ${quoted(v.params.allowedValues as unknown[])}`
              : (v.message ?? 'is invalid');
    return { path: prefix + (segments.join('.') || '(root)'), message, rule: v.keyword, ...ruleParams(v) };
  });
}

/** Maps whatever was thrown to the one error envelope. Unknown errors are logged and answered without detail. */
export function toAppError(err: FastifyError & { validationContext?: string }, request: FastifyRequest): AppError {
  if (err instanceof AppError) return err;
  if (err.validation) {
    const errors = fieldErrors(err.validation as unknown as AjvError[], err.validationContext);
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return new AppError('VALIDATION_FAILED', `The request is invalid: ${detail}.`, { errors });
  }
  if (isMultipartParseError(err)) {
    return new AppError('MALFORMED_REQUEST', 'The multipart/form-data body is malformed or cut off; send the whole form again.');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_REQUEST', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `The content type "${request.headers['content-type'] ?? ''}" is not accepted here; send JSON or multipart/form-data as documented.`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than this endpoint accepts.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return new AppError('MALFORMED_REQUEST', 'The multipart/form-data body is malformed or has more parts than this endpoint accepts.');
  }
  if (isDatabaseUnavailable(err)) {
    request.log.error({ err: { message: err.message, code: err.code } }, 'database unavailable');
    return new AppError('DATABASE_UNAVAILABLE', 'The database is not answering. Try again shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code: ErrorCode = STATUS_CODES[status] ?? 'MALFORMED_REQUEST';
    return new AppError(code, status === 404 ? 'Not found.' : 'The request could not be processed as sent.');
  }
  request.log.error({ err }, 'unhandled error');
  return new AppError(
    'INTERNAL_ERROR',
    'Something went wrong on the server. The error has been logged; try again, and tell the operator if it persists.',
  );
}

/** The one error handler of the server: every error becomes an RFC 9457 problem (unknown routes: see not-found.ts). */
export default fp(async (app) => {
  app.setErrorHandler((err: FastifyError, request, reply) => sendProblem(reply, toAppError(err, request)));
});
