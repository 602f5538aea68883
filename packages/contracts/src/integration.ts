import { Type, type Static } from 'typebox';
import { PACKAGE_VERSION_PATTERN, WORKSPACE_ID_PATTERN } from './constants.js';
import { APP_ID_PATTERN } from './host-apps.js';
import { DEVICE_ID_PATTERN, MINI_PROGRAM_ID_PATTERN } from './mini-programs.js';
import { ConfigReleaseKeySchema } from './release-keys.js';
import { DownloadDetailSchema, PatchSavingsSchema } from './patches.js';

/** How long a replaced key's public half stays in the config file after a new key is uploaded. */
export const PREVIOUS_KEY_LISTED_DAYS = 30;

/** One public key a host app build embeds: `fingerprintSha256` is the hex SHA-256 of its SPKI DER. */
export const ConfigPublicKeySchema = Type.Object({
  fingerprintSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  pem: Type.String({ description: 'SPKI PEM ("BEGIN PUBLIC KEY")' }),
});
export type ConfigPublicKey = Static<typeof ConfigPublicKeySchema>;

/**
 * The config file (`mpop-<appId>.json`) a mobile team builds into its host app. No secret is in it. The current
 * key comes first; a replaced key stays listed for PREVIOUS_KEY_LISTED_DAYS.
 */
export const ConfigFileSchema = Type.Object({
  appId: Type.String(),
  workspaceId: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  gatewayUrl: Type.String({ description: 'MPOP_PUBLIC_URL + /client/v1' }),
  virtualDomain: Type.String(),
  publicKeys: Type.Array(ConfigPublicKeySchema),
  /**
   * The release keys of the organisations whose mini programs this host app may load (authorised for it): a
   * host app that requires release signatures accepts only packages signed with one of these.
   */
  releaseKeys: Type.Array(ConfigReleaseKeySchema),
});
export type ConfigFile = Static<typeof ConfigFileSchema>;

export const EventTypes = ['download', 'verified', 'launch', 'failure'] as const;
export type EventType = (typeof EventTypes)[number];
export const EventTypeSchema = Type.Union([
  Type.Literal('download'),
  Type.Literal('verified'),
  Type.Literal('launch'),
  Type.Literal('failure'),
]);

/** Limits of one events batch. */
export const EVENTS_MAX = 100;
export const EVENT_DETAIL_MAX = 1024;
/** The longest failure reason kept; adoption counts failures by it. */
export const FAILURE_REASON_MAX = 200;

export const ClientEventSchema = Type.Object(
  {
    type: EventTypeSchema,
    miniProgramId: Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }),
    version: Type.String({ pattern: PACKAGE_VERSION_PATTERN }),
    at: Type.Optional(
      Type.String({ format: 'date-time', description: 'when it happened on the device (ISO 8601); default: when received' }),
    ),
    detail: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              reason: Type.Optional(
                Type.String({
                  maxLength: FAILURE_REASON_MAX,
                  description: 'for a failure: why, in a few words (adoption counts failures by it)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          Type.String({
            maxLength: EVENT_DETAIL_MAX,
            description: 'for a failure: what went wrong (its first 200 characters count as the reason)',
          }),
          DownloadDetailSchema,
        ],
        {
          description: 'for a failure: `{ reason }` (at most 200 characters), or a sentence; for a download: `{ patch, bytesSaved? }`',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ClientEvent = Static<typeof ClientEventSchema>;

export const EventsRequestSchema = Type.Object(
  {
    appId: Type.String({ pattern: APP_ID_PATTERN }),
    workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN, description: '1..128 characters of letters, digits and . _ : -' }),
    events: Type.Array(ClientEventSchema, { minItems: 1, maxItems: EVENTS_MAX }),
  },
  { additionalProperties: false },
);
export type EventsRequest = Static<typeof EventsRequestSchema>;

export const EventsAcceptedSchema = Type.Object({
  accepted: Type.Integer({ description: 'events recorded' }),
  ignored: Type.Integer({
    description:
      'events not stored: a host app without development configuration, a mini program not authorised for it, a version never uploaded, older than the retention, or past the devices one address may report a minute',
  }),
});
export type EventsAccepted = Static<typeof EventsAcceptedSchema>;

export const AdoptionQuerySchema = Type.Object({
  // Empty means "no filter", as in `?workspaceId=&appId=&days=7`.
  workspaceId: Type.Optional(Type.String({ pattern: '^([A-Za-z0-9][A-Za-z0-9_-]{0,63})?$' })),
  appId: Type.Optional(Type.String({ pattern: '^([A-Za-z0-9][A-Za-z0-9_-]{0,63})?$' })),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 7 })),
});
export type AdoptionQuery = Static<typeof AdoptionQuerySchema>;

export const EventCountsSchema = Type.Object({
  download: Type.Integer(),
  verified: Type.Integer(),
  launch: Type.Integer(),
  failure: Type.Integer(),
});
export type EventCounts = Static<typeof EventCountsSchema>;

export const AdoptionSchema = Type.Object({
  since: Type.String({ format: 'date-time' }),
  versions: Type.Array(
    Type.Object({
      version: Type.String(),
      devices: Type.Integer(),
      share: Type.Number({ minimum: 0, maximum: 1, description: 'devices / all devices counted, 4 decimals' }),
    }),
  ),
  events: EventCountsSchema,
  failures: Type.Array(
    Type.Object({
      version: Type.String(),
      reason: Type.Union([Type.String(), Type.Null()], { description: 'as the devices gave it; null: none given' }),
      count: Type.Integer(),
    }),
    { description: 'failure events by version and reason over the window, most first (at most 100)' },
  ),
  patches: PatchSavingsSchema,
});
export type Adoption = Static<typeof AdoptionSchema>;
