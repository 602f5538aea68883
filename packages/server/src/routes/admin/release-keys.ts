import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateReleaseKeyBodySchema,
  OrgParamsSchema,
  RELEASE_KEY_PEM_MAX,
  ReleaseKeyListSchema,
  ReleaseKeyParamsSchema,
  ReleaseKeySchema,
} from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['organisations'];
/** Owners register and remove their organisation's release keys; admins every organisation's. */
const MANAGE = { role: 'member', access: { platform: 'admin', org: 'owner' } } as const;
/** Platform roles and every member of the organisation may list them (they are public keys). */
const READ = { role: 'member', access: { platform: 'viewer', org: 'developer' } } as const;

/** Release keys: the public keys an organisation signs its packages with, so a stolen server cannot ship code. */
const releaseKeys: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.releaseKeys;

  app.get(
    '/organisations/:orgId/release-keys',
    {
      config: READ,
      schema: {
        tags,
        summary: "An organisation's release keys",
        params: OrgParamsSchema,
        response: responses({ 200: ReleaseKeyListSchema }),
      },
    },
    async (request) => ({ items: await svc.list(request.params.orgId) }),
  );

  app.post(
    '/organisations/:orgId/release-keys',
    {
      config: MANAGE,
      // The PEM's own limit (16 KiB) plus the JSON around it; larger bodies are refused before they are read.
      bodyLimit: RELEASE_KEY_PEM_MAX + 1024,
      schema: {
        tags,
        summary: 'Register a release key (Ed25519, or RSA of 2048 bits or more): from then on every upload must be signed with one',
        description:
          'The public key PEM only. A private key is refused (RELEASE_KEY_PRIVATE) and never stored or echoed; RSA under 2048 bits → KEY_TOO_WEAK; other key types → UNSUPPORTED_KEY_TYPE; anything else → RELEASE_KEY_INVALID; a key the organisation has → 409 RELEASE_KEY_EXISTS.',
        params: OrgParamsSchema,
        body: CreateReleaseKeyBodySchema,
        response: responses({ 201: ReleaseKeySchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.add(request.params.orgId, request.body.pem, principalOf(request))),
  );

  app.delete(
    '/organisations/:orgId/release-keys/:fingerprint',
    {
      config: MANAGE,
      schema: {
        tags,
        summary: 'Remove a release key',
        description:
          'Versions signed with it keep their signature; host apps whose config file no longer lists the key refuse them. With no key left, uploads need no signature.',
        params: ReleaseKeyParamsSchema,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.remove(request.params.orgId, request.params.fingerprint, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default releaseKeys;
