import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import {
  AuthorizedMiniProgramListSchema,
  AuthorizedMiniProgramSchema,
  CLIENT_VERSION_PATTERN,
  CreateMiniProgramBodySchema,
  HostAppParamsSchema,
  MiniProgramListSchema,
  MiniProgramParamsSchema,
  MiniProgramSchema,
  PackageListSchema,
  PackageParamsSchema,
  PackageSchema,
  PACKAGE_VERSION_PATTERN,
  PlatformSchema,
  MINI_PROGRAM_ID_PATTERN,
  SigningJobSchema,
} from '@mpop/contracts';
import { AppError, type FieldError } from '../../lib/app-error.js';
import type { PackageStore, ReceivedFile } from '../../modules/mini-programs/package-store.js';
import type { PackageUpload } from '../../modules/mini-programs/mini-program.service.js';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['mini programs'];

const UploadFieldsSchema = Type.Object(
  {
    version: Type.String({ pattern: PACKAGE_VERSION_PATTERN }),
    platform: Type.Optional(PlatformSchema),
    clientVersionMin: Type.Optional(Type.String({ pattern: CLIENT_VERSION_PATTERN })),
    clientVersionMax: Type.Optional(Type.String({ pattern: CLIENT_VERSION_PATTERN })),
  },
  { additionalProperties: false },
);

/** Reads the upload form, streaming the file to a temporary file. Every path out either returns it or discards it. */
async function readPackageForm(request: FastifyRequest, store: PackageStore, maxBytes: number): Promise<PackageUpload> {
  if (!request.isMultipart()) {
    throw new AppError('MALFORMED_REQUEST', 'Send the package as multipart/form-data with the field version and the file package.');
  }
  const fields: Record<string, string> = {};
  let file: ReceivedFile | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 1024 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'package') {
          part.file.resume();
          throw new AppError('VALIDATION_FAILED', `Unexpected file field "${part.fieldname}"; send the zip as the file field package.`, {
            errors: [{ path: part.fieldname, message: 'is not a known field' }],
          });
        }
        const received = await store.receive(part.file, () => part.file.truncated);
        if (received.truncated) {
          await store.discard(received.tmpPath);
          throw new AppError(
            'PAYLOAD_TOO_LARGE',
            `The package is larger than the limit of ${Math.floor(maxBytes / 1024 / 1024)} MiB (MPOP_MAX_PACKAGE_BYTES).`,
          );
        }
        file = received;
      } else {
        fields[part.fieldname] = String(part.value).trim();
      }
    }
    if (!Value.Check(UploadFieldsSchema, fields)) {
      const errors: FieldError[] = [...Value.Errors(UploadFieldsSchema, fields)].map((e) => ({
        path:
          e.instancePath.replace(/^\//, '') || String((e.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '(form)'),
        message: e.message,
      }));
      throw new AppError(
        'VALIDATION_FAILED',
        `The upload form is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}. The version has four numbers, like 1.0.0.1.`,
        { errors },
      );
    }
    if (!file)
      throw new AppError('VALIDATION_FAILED', 'Attach the package zip as the file field package.', {
        errors: [{ path: 'package', message: 'is required' }],
      });
    return { ...(fields as Omit<PackageUpload, 'file'>), file };
  } catch (err) {
    if (file) await store.discard(file.tmpPath);
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `The package is larger than the limit of ${Math.floor(maxBytes / 1024 / 1024)} MiB (MPOP_MAX_PACKAGE_BYTES).`,
      );
    }
    throw err;
  }
}

const miniPrograms: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.miniPrograms;

  app.get(
    '/mini-programs',
    {
      schema: { tags, summary: 'List mini programs', response: responses({ 200: MiniProgramListSchema }) },
    },
    async () => ({ items: await svc.list() }),
  );

  app.post(
    '/mini-programs',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Register a mini program (16-digit ID generated when absent; never 666… or 20000…)',
        body: CreateMiniProgramBodySchema,
        response: responses({ 201: MiniProgramSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.get(
    '/mini-programs/:id/packages',
    {
      schema: {
        tags,
        summary: 'List the package versions of a mini program',
        params: MiniProgramParamsSchema,
        response: responses({ 200: PackageListSchema }),
      },
    },
    async (request) => ({ items: await svc.listPackages(request.params.id) }),
  );

  app.post(
    '/mini-programs/:id/packages',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Upload a package version',
        description:
          'multipart/form-data: `version` (four numbers, like 1.0.0.1), file `package` (a zip with app.json listing pages), optional `clientVersionMin`, `clientVersionMax`, `platform` (android|ios|harmony).',
        consumes: ['multipart/form-data'],
        params: MiniProgramParamsSchema,
        response: responses({ 201: PackageSchema }),
      },
    },
    async (request, reply) => {
      const upload = await readPackageForm(request, app.packageStore, app.config.maxPackageBytes);
      return reply.code(201).send(await svc.addPackage(request.params.id, upload, principalOf(request)));
    },
  );

  app.post(
    '/mini-programs/:id/packages/:version/release',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Release a version: the one host apps get',
        params: PackageParamsSchema,
        response: responses({ 200: Type.Intersect([PackageSchema, Type.Object({ signing: SigningJobSchema })]) }),
      },
    },
    async (request) => svc.release(request.params.id, request.params.version, principalOf(request)),
  );

  const AuthParams = Type.Intersect([HostAppParamsSchema, Type.Object({ id: Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }) })]);

  app.get(
    '/host-apps/:workspaceId/:appId/mini-programs',
    {
      schema: {
        tags,
        summary: 'The mini programs authorised for a host app',
        params: HostAppParamsSchema,
        response: responses({ 200: AuthorizedMiniProgramListSchema }),
      },
    },
    async (request) => ({ items: await svc.listAuthorized(request.params.workspaceId, request.params.appId) }),
  );

  app.put(
    '/host-apps/:workspaceId/:appId/mini-programs/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Authorise a mini program for a host app (idempotent)',
        params: AuthParams,
        response: responses({ 200: Type.Intersect([AuthorizedMiniProgramSchema, Type.Object({ signing: SigningJobSchema })]) }),
      },
    },
    async (request) => svc.authorize(request.params.workspaceId, request.params.appId, request.params.id, principalOf(request)),
  );

  app.delete(
    '/host-apps/:workspaceId/:appId/mini-programs/:id',
    {
      config: { role: 'operator' },
      schema: { tags, summary: 'Revoke a mini program from a host app', params: AuthParams, response: responses({ 204: NoContent }) },
    },
    async (request, reply) => {
      await svc.revoke(request.params.workspaceId, request.params.appId, request.params.id, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default miniPrograms;
