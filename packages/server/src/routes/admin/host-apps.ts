import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  CreateHostAppBodySchema,
  DevConfigSchema,
  HostAppListQuerySchema,
  HostAppListSchema,
  HostAppParamsSchema,
  HostAppSchema,
  PRIVATE_KEY_MAX_BYTES,
} from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import type { DevConfigUpload } from '../../modules/host-apps/host-app.service.js';
import { keyTooLarge } from '../../modules/host-apps/private-key.js';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['host apps'];

/** Reads the dev-config form: field `virtualDomain`, file `privateKey` (a text field of that name is taken too). */
async function readDevConfigForm(request: FastifyRequest): Promise<DevConfigUpload> {
  if (!request.isMultipart()) {
    throw new AppError(
      'MALFORMED_REQUEST',
      'Send the development configuration as multipart/form-data with the field virtualDomain and the file privateKey.',
    );
  }
  const upload: DevConfigUpload = {};
  const parts = request.parts({ limits: { fileSize: PRIVATE_KEY_MAX_BYTES, files: 1, fields: 5, fieldSize: PRIVATE_KEY_MAX_BYTES } });
  for await (const part of parts) {
    if (part.type === 'file') {
      let data: Buffer;
      try {
        data = await part.toBuffer();
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw keyTooLarge();
        throw err;
      }
      if (part.fieldname !== 'privateKey') {
        throw new AppError('VALIDATION_FAILED', `Unexpected file field "${part.fieldname}"; send the key as the file field privateKey.`, {
          errors: [{ path: part.fieldname, message: 'is not a known field' }],
        });
      }
      upload.privateKey = { fileName: part.filename || 'private_key.pem', data };
    } else if (part.fieldname === 'virtualDomain') {
      upload.virtualDomain = String(part.value);
    } else if (part.fieldname === 'privateKey' && String(part.value).length > 0) {
      upload.privateKey = { fileName: 'private_key.pem', data: Buffer.from(String(part.value)) };
    }
  }
  return upload;
}

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
          'multipart/form-data: field `virtualDomain` (host name such as example.com) and file `privateKey` (PEM RSA private key, PKCS#1 or PKCS#8, ≥ 2048 bits, ≤ 16 KiB). ' +
          'The file may be left out when a key is already configured; the key is then kept. A rejected upload changes nothing.',
        consumes: ['multipart/form-data'],
        params: HostAppParamsSchema,
        response: responses({ 200: DevConfigSchema }),
      },
    },
    async (request) =>
      svc.setDevConfig(request.params.workspaceId, request.params.appId, await readDevConfigForm(request), principalOf(request)),
  );

  app.get(
    '/host-apps/:workspaceId/:appId/dev-config/public-key',
    {
      schema: {
        tags,
        summary: 'Download the public key (PEM) that host apps embed',
        params: HostAppParamsSchema,
        produces: ['application/x-pem-file'],
      },
    },
    async (request, reply) => {
      const { workspaceId, appId } = request.params;
      const pem = await svc.getPublicKey(workspaceId, appId);
      return reply.type('application/x-pem-file').header('Content-Disposition', `attachment; filename="${appId}_public_key.pem"`).send(pem);
    },
  );
};
export default hostApps;
