import { Type, type Static } from 'typebox';

/**
 * The closed list of problem codes the API answers with. Clients switch on `code`, never on `detail`.
 * Adding a code is a contract change: add it here, in API.md-derived docs and in the console's messages.
 */
export const ErrorCodes = [
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'INVALID_PRIVATE_KEY',
  'NOT_A_PRIVATE_KEY',
  'ENCRYPTED_PRIVATE_KEY',
  'UNSUPPORTED_KEY_TYPE',
  'KEY_TOO_WEAK',
  'INVALID_VIRTUAL_DOMAIN',
  'INVALID_PACKAGE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CSRF_REJECTED',
  'NOT_FOUND',
  'DEV_CONFIG_NOT_SET',
  'HOST_APP_EXISTS',
  'NAME_TAKEN',
  'USER_EXISTS',
  'MINI_PROGRAM_EXISTS',
  'VERSION_EXISTS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_ATTEMPTS',
  'RATE_LIMITED',
  'HOST_APP_NOT_REGISTERED',
  'HOST_APP_NOT_CONFIGURED',
  'MPAAS_UNAVAILABLE',
  'MPAAS_NOT_CONFIGURED',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** RFC 9457 problem details, the one error envelope of the API. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof ProblemSchema>;
