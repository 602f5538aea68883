import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ConfigFileSchema,
  CreateHostAppBodySchema,
  DevConfigSchema,
  HostAppListQuerySchema,
  HostAppListSchema,
  HostAppParamsSchema,
  HostAppSchema,
  ManifestInfoSchema,
  PreviousKeyParamsSchema,
  PRIVATE_KEY_MAX_BYTES,
  UpdateHostAppBodySchema,
} from '@mpop/contracts';
import { privateKeyTooLarge } from '../../modules/host-apps/private-key.js';
import { principalOf } from '../../plugins/app/auth.js';
import { bufferSink, FileField } from '../../plugins/app/multipart.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['host apps'];

const privateKeyFile = bufferSink({
  maxBytes: PRIVATE_KEY_MAX_BYTES,
  tooLarge: privateKeyTooLarge,
  acceptsText: { fileName: 'private_key.pem' },
});

/** The dev-config form (multipart/form-data). */
const DevConfigFormSchema = Type.Object(
  {
    virtualDomain: Type.String({
      description: 'Host name such as example.com (stored lower-case; no scheme, port, path, IP or wildcard).',
    }),
    privateKey: Type.Optional(
      FileField(privateKeyFile, {
        description:
          'PEM RSA private key, PKCS#1 or PKCS#8, at least 2048 bits, at most 16 KiB (what `openssl genrsa -out private_key.pem 2048` writes). ' +
          'May be left out when a key is already configured: the key is then kept.',
      }),
    ),
  },
  { additionalProperties: false },
);

const hostApps: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.hostApps;

  app.get(
    '/host-apps',
    {
      schema: {
        tags,
        summary: 'Query host apps by name (substring, case-insensitive) or exact APPID; newest first',
        querystring: HostAppListQuerySchema,
        response: responses({ 200: HostAppListSchema }),
      },
    },
    async (request) => svc.list(request.query),
  );

  app.post(
    '/host-apps',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Add App: APPID and tenant ID are generated',
        body: CreateHostAppBodySchema,
        response: responses({ 201: HostAppSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.get(
    '/host-apps/:workspaceId/:appId',
    {
      schema: { tags, summary: 'View Basic Information', params: HostAppParamsSchema, response: responses({ 200: HostAppSchema }) },
    },
    async (request) => svc.get(request.params.workspaceId, request.params.appId),
  );

  app.patch(
    '/host-apps/:workspaceId/:appId',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Rename, disable or enable a host app',
        description:
          'A disabled host app keeps its configuration and authorisations, but the client API refuses it with 403 HOST_APP_DISABLED until it is enabled again.',
        params: HostAppParamsSchema,
        body: UpdateHostAppBodySchema,
        response: responses({ 200: HostAppSchema }),
      },
    },
    async (request) => svc.update(request.params.workspaceId, request.params.appId, request.body, principalOf(request)),
  );

  app.delete(
    '/host-apps/:workspaceId/:appId',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Delete the host app, its development configuration and key material',
        params: HostAppParamsSchema,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.delete(request.params.workspaceId, request.params.appId, principalOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/host-apps/:workspaceId/:appId/dev-config',
    {
      schema: {
        tags,
        summary: 'View Development Configuration (never the private key)',
        params: HostAppParamsSchema,
        response: responses({ 200: DevConfigSchema }),
      },
    },
    async (request) => svc.getDevConfig(request.params.workspaceId, request.params.appId),
  );

  app.put(
    '/host-apps/:workspaceId/:appId/dev-config',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Make development configuration',
        description:
          'multipart/form-data: field `virtualDomain` and file `privateKey`. The file may be left out when a key is already configured; ' +
          'the key is then kept. A rejected upload changes nothing.',
        params: HostAppParamsSchema,
        body: DevConfigFormSchema,
        response: responses({ 200: DevConfigSchema }),
      },
    },
    async (request) => svc.setDevConfig(request.params.workspaceId, request.params.appId, request.body, principalOf(request)),
  );

  app.get(
    '/host-apps/:workspaceId/:appId/dev-config/public-key',
    {
      schema: {
        tags,
        summary: 'Download the public key (PEM) that host apps embed',
        params: HostAppParamsSchema,
        produces: ['application/x-pem-file'],
        response: responses({ 200: Type.String({ description: 'The public key, PEM (SPKI)' }) }),
      },
    },
    async (request, reply) => {
      const { workspaceId, appId } = request.params;
      const pem = await svc.getPublicKey(workspaceId, appId);
      return reply.type('application/x-pem-file').header('Content-Disposition', `attachment; filename="${appId}_public_key.pem"`).send(pem);
    },
  );

  app.get(
    '/host-apps/:workspaceId/:appId/config-file',
    {
      schema: {
        tags,
        summary: 'Download the config file (mpop-<appId>.json) that mobile teams build into the host app; no secret is in it',
        description:
          "Identity, gateway URL, virtual domain and the public keys that may sign this host app's packages: the current key first, then keys replaced in the last 30 days.",
        params: HostAppParamsSchema,
        response: responses({ 200: ConfigFileSchema }),
      },
    },
    async (request, reply) => {
      const { workspaceId, appId } = request.params;
      const file = await svc.configFile(workspaceId, appId, app.config.publicUrl);
      return reply.header('Content-Disposition', `attachment; filename="mpop-${appId}.json"`).send(file);
    },
  );

  app.get(
    '/host-apps/:workspaceId/:appId/manifest',
    {
      schema: {
        tags,
        summary: "The host app's signed gate answers: generation, manifest lifetime, the signing key and the replaced keys",
        params: HostAppParamsSchema,
        response: responses({ 200: ManifestInfoSchema }),
      },
    },
    async (request) => ({
      ...(await svc.manifestInfo(request.params.workspaceId, request.params.appId)),
      manifestTtlHours: app.config.manifestTtlHours,
    }),
  );

  app.post(
    '/host-apps/:workspaceId/:appId/previous-keys/:fingerprint/retire',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Retire a replaced key now: manifests name it as revoked and clients refuse its signatures from then on',
        description:
          'The key that signs now cannot be retired (409 KEY_IN_USE): upload a new key first. Retiring a key twice changes nothing. ' +
          'Irreversible: a retired key cannot be uploaded again.',
        params: PreviousKeyParamsSchema,
        response: responses({ 200: ManifestInfoSchema }),
      },
    },
    async (request) => {
      const { workspaceId, appId, fingerprint } = request.params;
      return {
        ...(await svc.retireKey(workspaceId, appId, fingerprint, principalOf(request))),
        manifestTtlHours: app.config.manifestTtlHours,
      };
    },
  );
};
export default hostApps;
