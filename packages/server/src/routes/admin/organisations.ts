import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateOrganisationBodySchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  OrganisationListSchema,
  OrganisationSchema,
  OrgParamsSchema,
  SetMemberBodySchema,
  UpdateOrganisationBodySchema,
} from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['organisations'];
/** Owners manage their organisation's members; admins every organisation's. */
const MANAGE_MEMBERS = { role: 'member', access: { platform: 'admin', org: 'owner' } } as const;
/** Anyone with a platform role, and the organisation's members, may read it; others get 404. */
const READ = { role: 'member', access: { platform: 'viewer', org: 'developer' } } as const;

/** Organisations of the open platform (the vendors, partners and teams that build mini programs) and their members. */
const organisations: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.organisations;

  app.get(
    '/organisations',
    {
      config: { role: 'member' },
      schema: { tags, summary: 'List organisations (members: their own)', response: responses({ 200: OrganisationListSchema }) },
    },
    async (request) => ({ items: await svc.list(principalOf(request)) }),
  );

  app.post(
    '/organisations',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Create an organisation (it needs review until an admin says otherwise)',
        description: '`owner`, an existing user, becomes its first owner.',
        body: CreateOrganisationBodySchema,
        response: responses({ 201: OrganisationSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.get(
    '/organisations/:orgId',
    {
      config: READ,
      schema: { tags, summary: 'One organisation', params: OrgParamsSchema, response: responses({ 200: OrganisationSchema }) },
    },
    async (request) => svc.get(request.params.orgId),
  );

  app.patch(
    '/organisations/:orgId',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Rename an organisation, require review or not, suspend or lift a suspension',
        description:
          'A suspended organisation cannot upload, submit or ask for associations (403 ORGANISATION_SUSPENDED); what it released keeps serving.',
        params: OrgParamsSchema,
        body: UpdateOrganisationBodySchema,
        response: responses({ 200: OrganisationSchema }),
      },
    },
    async (request) => svc.update(request.params.orgId, request.body, principalOf(request)),
  );

  app.get(
    '/organisations/:orgId/members',
    {
      config: READ,
      schema: { tags, summary: 'The members of an organisation', params: OrgParamsSchema, response: responses({ 200: MemberListSchema }) },
    },
    async (request) => ({ items: await svc.members(request.params.orgId) }),
  );

  app.put(
    '/organisations/:orgId/members/:username',
    {
      config: MANAGE_MEMBERS,
      schema: {
        tags,
        summary: 'Add a user to an organisation, or change its role there',
        description: 'The last owner cannot become a developer: 409 LAST_OWNER.',
        params: MemberParamsSchema,
        body: SetMemberBodySchema,
        response: responses({ 200: MemberSchema }),
      },
    },
    async (request) => svc.setMember(request.params.orgId, request.params.username, request.body.role, principalOf(request)),
  );

  app.delete(
    '/organisations/:orgId/members/:username',
    {
      config: MANAGE_MEMBERS,
      schema: {
        tags,
        summary: 'Remove a member from an organisation',
        description: 'The last owner cannot be removed: 409 LAST_OWNER.',
        params: MemberParamsSchema,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.removeMember(request.params.orgId, request.params.username, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default organisations;
