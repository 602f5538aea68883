import { type Static, Type } from 'typebox';

/**
 * The closed catalogue of problem codes the API answers with: each code's HTTP status and default title.
 * Clients switch on `code`, never on `detail`. Adding a code is a contract change: add it here, in the docs
 * (docs/api.md) and in the console's messages (the console's type check fails until it has a message for it).
 * `otherStatuses` lists the few codes that may also be answered with another status (an upstream timeout).
 */
export const ErrorCatalogue = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  MALFORMED_REQUEST: { status: 400, title: 'Malformed request' },
  INVALID_PRIVATE_KEY: { status: 400, title: 'Invalid private key' },
  NOT_A_PRIVATE_KEY: { status: 400, title: 'Not a private key' },
  ENCRYPTED_PRIVATE_KEY: { status: 400, title: 'Encrypted private key' },
  UNSUPPORTED_KEY_TYPE: { status: 400, title: 'Unsupported key type' },
  KEY_TOO_WEAK: { status: 400, title: 'Key too weak' },
  INVALID_VIRTUAL_DOMAIN: { status: 400, title: 'Invalid virtual domain' },
  INVALID_PACKAGE: { status: 400, title: 'Invalid package' },
  RELEASE_KEY_INVALID: { status: 400, title: 'Invalid release key' },
  RELEASE_KEY_PRIVATE: { status: 400, title: 'Private key instead of a public release key' },
  RELEASE_SIGNATURE_INVALID: { status: 400, title: 'Invalid release signature' },
  WEBHOOK_URL_NOT_ALLOWED: { status: 400, title: 'Webhook URL not allowed' },
  SSO_FAILED: { status: 400, title: 'Single sign-on failed', otherStatuses: [502] },
  WRONG_CURRENT_PASSWORD: { status: 400, title: 'Wrong current password' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  CSRF_REJECTED: { status: 403, title: 'Cross-site request rejected' },
  LOCAL_SIGNIN_DISABLED: { status: 403, title: 'Local sign-in disabled' },
  SSO_ROLE_MISSING: { status: 403, title: 'No role for this user' },
  USER_DISABLED: { status: 403, title: 'User disabled' },
  ORGANISATION_SUSPENDED: { status: 403, title: 'Organisation suspended' },
  SELF_APPROVAL: { status: 403, title: 'Self-approval' },
  HOST_APP_NOT_REGISTERED: { status: 403, title: 'Host app not registered' },
  HOST_APP_NOT_CONFIGURED: { status: 403, title: 'Host app not configured' },
  HOST_APP_DISABLED: { status: 403, title: 'Host app disabled' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  DEV_CONFIG_NOT_SET: { status: 404, title: 'Development configuration not set' },
  SSO_NOT_CONFIGURED: { status: 404, title: 'Single sign-on not configured' },
  HOST_APP_EXISTS: { status: 409, title: 'Host app exists' },
  NAME_TAKEN: { status: 409, title: 'Name taken' },
  USER_EXISTS: { status: 409, title: 'User exists' },
  LAST_ADMIN: { status: 409, title: 'Last admin' },
  MINI_PROGRAM_EXISTS: { status: 409, title: 'Mini program exists' },
  VERSION_EXISTS: { status: 409, title: 'Version exists' },
  ROLLOUT_CANNOT_SHRINK: { status: 409, title: 'Rollout cannot shrink' },
  NOTHING_TO_ROLL_BACK_TO: { status: 409, title: 'Nothing to roll back to' },
  RELEASE_NOT_ACTIVE: { status: 409, title: 'Release not active' },
  LAST_OWNER: { status: 409, title: 'Last owner' },
  RELEASE_KEY_EXISTS: { status: 409, title: 'Release key exists' },
  ASSOCIATION_EXISTS: { status: 409, title: 'Association exists' },
  REVIEW_ALREADY_OPEN: { status: 409, title: 'Review already open' },
  CHECKS_FAILED: { status: 409, title: 'Checks failed' },
  NOT_APPROVED: { status: 409, title: 'Not approved' },
  INVALID_TRANSITION: { status: 409, title: 'Invalid state transition' },
  KEY_IN_USE: { status: 409, title: 'Key in use' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable' },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many attempts' },
  RATE_LIMITED: { status: 429, title: 'Rate limited' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  MPAAS_UNAVAILABLE: { status: 502, title: 'mPaaS backend unavailable', otherStatuses: [504] },
  MPAAS_NOT_CONFIGURED: { status: 503, title: 'mPaaS backend not configured' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
} as const satisfies Record<string, { status: number; title: string; otherStatuses?: readonly number[] }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** Every code, in catalogue order. */
export const ErrorCodes = Object.keys(ErrorCatalogue) as ErrorCode[];

/** RFC 9457 problem details, the one error envelope of the API. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:mpop:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'A sentence a person can act on.' }),
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: ErrorCodes,
      description: 'Stable, machine-readable code from the closed catalogue.',
    }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String(),
          message: Type.String({ description: 'what is wrong with the field, in English' }),
          rule: Type.Optional(
            Type.String({
              description:
                'the rule the field broke, for clients that say it in their own language (JSON Schema keywords: required, maxLength, minLength, pattern, format, maximum, minimum, type, enum, maxItems, minItems, additionalProperties; choice for a value outside a list)',
            }),
          ),
          params: Type.Optional(
            Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
              description: "the rule's specifics: limit (maxLength, maximum, ...), format, allowed (a choice), type",
            }),
          ),
        }),
      ),
    ),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
        description:
          'The specifics of the problem by name (an RFC 9457 extension member), e.g. { name, workspaceId } for NAME_TAKEN, so a client can say it in its own language; `detail` says the same in English',
      }),
    ),
  },
  { description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof ProblemSchema>;
