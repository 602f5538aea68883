import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  PackageParamsSchema,
  ReasonBodySchema,
  ReviewListQuerySchema,
  ReviewNoteBodySchema,
  ReviewPageSchema,
  ReviewSchema,
} from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { responses } from '../schemas.js';

const tags = ['reviews'];
/** The organisation's developers (and operators) submit and withdraw; only platform operators decide. */
const SUBMIT = { role: 'member', access: { platform: 'operator', org: 'developer' } } as const;
const DECIDE = { role: 'operator' } as const;

/** The review of package versions: submit, withdraw, approve, reject, and the review queue. */
const reviews: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.reviews;
  // The note is optional (`curl -X POST …/submit`): no body is validated as an empty object.
  const emptyBodyIsObject = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {};
  };

  app.post(
    '/mini-programs/:id/packages/:version/submit',
    {
      config: SUBMIT,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Submit a version for review (from draft, rejected or withdrawn)',
        description:
          'Another version of the mini program in review → 409 REVIEW_ALREADY_OPEN; a failed check → 409 CHECKS_FAILED; a suspended organisation → 403 ORGANISATION_SUSPENDED.',
        params: PackageParamsSchema,
        body: ReviewNoteBodySchema,
        response: responses({ 200: ReviewSchema }),
      },
    },
    async (request) => svc.submit(request.params.id, request.params.version, request.body.note, principalOf(request)),
  );

  app.post(
    '/mini-programs/:id/packages/:version/withdraw',
    {
      config: SUBMIT,
      schema: {
        tags,
        summary: 'Withdraw a version from review',
        params: PackageParamsSchema,
        response: responses({ 200: ReviewSchema }),
      },
    },
    async (request) => svc.withdraw(request.params.id, request.params.version, principalOf(request)),
  );

  app.post(
    '/mini-programs/:id/packages/:version/approve',
    {
      config: DECIDE,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Approve a version in review (never by the user who submitted it: 403 SELF_APPROVAL)',
        params: PackageParamsSchema,
        body: ReviewNoteBodySchema,
        response: responses({ 200: ReviewSchema }),
      },
    },
    async (request) => svc.approve(request.params.id, request.params.version, request.body.note, principalOf(request)),
  );

  app.post(
    '/mini-programs/:id/packages/:version/reject',
    {
      config: DECIDE,
      schema: {
        tags,
        summary: 'Reject a version in review, with a reason for the developers',
        params: PackageParamsSchema,
        body: ReasonBodySchema,
        response: responses({ 200: ReviewSchema }),
      },
    },
    async (request) => svc.reject(request.params.id, request.params.version, request.body.reason, principalOf(request)),
  );

  app.get(
    '/reviews',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: "The review queue: versions by review state, latest change first (members: their organisations' only)",
        querystring: ReviewListQuerySchema,
        response: responses({ 200: ReviewPageSchema }),
      },
    },
    async (request) => svc.list(request.query, principalOf(request)),
  );
};
export default reviews;
