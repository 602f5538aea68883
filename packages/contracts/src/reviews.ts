import { type Static, Type } from 'typebox';
import { OrgIdSchema } from './auth.js';
import { Page, PageQuerySchema, TimestampSchema } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ReviewStateSchema = Type.Union(
  [Type.Literal('draft'), Type.Literal('in-review'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('withdrawn')],
  { description: 'draft → in-review → approved | rejected | withdrawn; rejected and withdrawn may be submitted again' },
);

/** One automatic check of a package, made at upload and kept with the version. */
export const CheckSchema = Type.Object({
  name: Type.String({ description: 'e.g. `size`, `entries`, `compression`, `paths`, `app-json`, `permissions`, `domains`' }),
  outcome: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')], {
    description: 'fail: the version cannot be submitted for review (409 CHECKS_FAILED)',
  }),
  detail: Type.String({ description: 'what was found, and for warn/fail what to change' }),
});
export type Check = Static<typeof CheckSchema>;

/** What changed since the version released last (`fromVersion` null: nothing was released before). */
export const ChangesSchema = Type.Object({
  fromVersion: Nullable(Type.String()),
  filesAdded: Type.Array(Type.String()),
  filesRemoved: Type.Array(Type.String()),
  filesChanged: Type.Array(Type.String()),
  /** Bytes of this package minus those of `fromVersion`'s (the zip files). */
  sizeDelta: Type.Integer(),
  permissionsAdded: Type.Array(Type.String()),
  domainsAdded: Type.Array(Type.String()),
});
export type Changes = Static<typeof ChangesSchema>;

/** The review of one package version, with its checks and changes. */
export const ReviewSchema = Type.Object({
  state: ReviewStateSchema,
  submittedBy: Nullable(Type.String()),
  submittedAt: Nullable(TimestampSchema),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(TimestampSchema),
  /** The submitter's note, or the approver's. */
  note: Nullable(Type.String()),
  /** Why it was rejected. */
  reason: Nullable(Type.String()),
  checks: Type.Array(CheckSchema),
  changes: ChangesSchema,
});
export type Review = Static<typeof ReviewSchema>;

/** One entry of the review queue. */
export const ReviewItemSchema = Type.Object({
  miniProgramId: Type.String(),
  /** The mini program's name. */
  name: Type.String(),
  orgId: Type.String(),
  version: Type.String(),
  review: ReviewSchema,
});
export type ReviewItem = Static<typeof ReviewItemSchema>;
export const ReviewPageSchema = Page(ReviewItemSchema);
export type ReviewPage = Static<typeof ReviewPageSchema>;

/** `GET /api/v1/reviews`: newest submission first (drafts by upload). */
export const ReviewListQuerySchema = Type.Object({
  state: Type.Optional(ReviewStateSchema),
  orgId: Type.Optional(OrgIdSchema),
  miniProgramId: Type.Optional(Type.String({ pattern: '^[0-9]{16}$' })),
  ...PageQuerySchema.properties,
});
export type ReviewListQuery = Static<typeof ReviewListQuerySchema>;

/** `POST .../packages/{version}/submit` and `.../approve`: an optional note. */
export const ReviewNoteBodySchema = Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });
export type ReviewNoteBody = Static<typeof ReviewNoteBodySchema>;
