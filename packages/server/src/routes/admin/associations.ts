import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AssociationListQuerySchema,
  AssociationPageSchema,
  AssociationParamsSchema,
  AssociationSchema,
  MiniProgramParamsSchema,
  ReasonBodySchema,
  RequestAssociationBodySchema,
} from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { responses } from '../schemas.js';

const tags = ['associations'];

/** Association requests: a mini program asks to reach a host app; operators approve (authorise) or reject; either side revokes. */
const associations: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.associations;

  app.post(
    '/mini-programs/:id/associations',
    {
      config: { role: 'member', access: { platform: 'operator', org: 'developer' } },
      schema: {
        tags,
        summary: 'Ask for a mini program to reach a host app',
        description:
          'One pending or approved association per mini program and host app (409 ASSOCIATION_EXISTS); a disabled or unknown host app answers 404.',
        params: MiniProgramParamsSchema,
        body: RequestAssociationBodySchema,
        response: responses({ 201: AssociationSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.request(request.params.id, request.body, principalOf(request))),
  );

  app.get(
    '/associations',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: "List associations, newest request first (members: their organisations' only)",
        description: 'Direct authorisations of a host app show here as approved associations.',
        querystring: AssociationListQuerySchema,
        response: responses({ 200: AssociationPageSchema }),
      },
    },
    async (request) => svc.list(request.query, principalOf(request)),
  );

  app.post(
    '/associations/:associationId/approve',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Approve a pending association: the host app is authorised for the mini program',
        params: AssociationParamsSchema,
        response: responses({ 200: AssociationSchema }),
      },
    },
    async (request) => svc.approve(request.params.associationId, principalOf(request)),
  );

  app.post(
    '/associations/:associationId/reject',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Reject a pending association, with a reason for the developers',
        params: AssociationParamsSchema,
        body: ReasonBodySchema,
        response: responses({ 200: AssociationSchema }),
      },
    },
    async (request) => svc.reject(request.params.associationId, request.body.reason, principalOf(request)),
  );

  app.post(
    '/associations/:associationId/revoke',
    {
      config: { role: 'member', access: { platform: 'operator', org: 'developer', from: 'service' } },
      schema: {
        tags,
        summary: 'Revoke a pending or approved association: the host app no longer gets the mini program',
        description: "Operators, and the developers and owners of the mini program's organisation.",
        params: AssociationParamsSchema,
        response: responses({ 200: AssociationSchema }),
      },
    },
    async (request) => svc.revoke(request.params.associationId, principalOf(request)),
  );
};
export default associations;
