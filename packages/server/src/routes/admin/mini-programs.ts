import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AuthorizedMiniProgramListSchema,
  AuthorizedMiniProgramSchema,
  CLIENT_VERSION_PATTERN,
  CreateMiniProgramBodySchema,
  HostAppParamsSchema,
  MiniProgramListQuerySchema,
  MiniProgramListSchema,
  MiniProgramParamsSchema,
  MiniProgramSchema,
  PackageListSchema,
  PackageSchema,
  PACKAGE_VERSION_PATTERN,
  PlatformSchema,
  MINI_PROGRAM_ID_PATTERN,
  RELEASE_SIGNATURE_MAX,
  SigningJobSchema,
} from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import type { PackageStore, ReceivedFile } from '../../modules/mini-programs/package-store.js';
import { principalOf } from '../../plugins/app/auth.js';
import { FileField, type FileSink } from '../../plugins/app/multipart.js';
import { NoContent, responses } from '../schemas.js';

const tags = ['mini programs'];
/** Members of the mini program's organisation reach these routes too; others' mini programs answer 404. */
const READ = { role: 'member', access: { platform: 'viewer', org: 'developer' } } as const;
const WRITE = { role: 'member', access: { platform: 'operator', org: 'developer' } } as const;

/** The package upload form (multipart/form-data); the zip streams to the store's staging area while it is hashed. */
function packageForm(store: PackageStore, maxBytes: number) {
  const packageFile: FileSink<ReceivedFile> = {
    maxBytes,
    tooLarge: () =>
      new AppError(
        'PAYLOAD_TOO_LARGE',
        `The package is larger than the limit of ${Math.floor(maxBytes / 1024 / 1024)} MiB (MPOP_MAX_PACKAGE_BYTES).`,
        { params: { limitMiB: Math.floor(maxBytes / 1024 / 1024) } },
      ),
    receive: (file) => store.receive(file),
    discard: (file) => store.discard(file),
  };
  return Type.Object(
    {
      version: Type.String({ pattern: PACKAGE_VERSION_PATTERN, description: 'Four numbers, like 1.0.0.1; new for this mini program.' }),
      package: FileField(packageFile, { description: 'The package: a zip with an app.json (at its root or in its single top folder).' }),
      clientVersionMin: Type.Optional(Type.String({ pattern: CLIENT_VERSION_PATTERN, description: 'Lowest client version served.' })),
      clientVersionMax: Type.Optional(Type.String({ pattern: CLIENT_VERSION_PATTERN, description: 'Highest client version served.' })),
      platform: Type.Optional(PlatformSchema),
      releaseSignature: Type.Optional(
        Type.String({
          maxLength: RELEASE_SIGNATURE_MAX,
          description:
            'Base64 signature by a release key of the organisation over the UTF-8 text "mpop-release-v1\\n<miniProgramId>\\n<version>\\n<sha256>" (what `mpop sign` prints). Required once the organisation has a release key; refused when it has none.',
        }),
      ),
    },
    { additionalProperties: false },
  );
}

const miniPrograms: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.miniPrograms;

  app.get(
    '/mini-programs',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: "List mini programs (members: their organisations' only)",
        querystring: MiniProgramListQuerySchema,
        response: responses({ 200: MiniProgramListSchema }),
      },
    },
    async (request) => {
      const items = await svc.list(principalOf(request), request.query.orgId, request.query.query);
      return { items, total: items.length };
    },
  );

  app.post(
    '/mini-programs',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Register a mini program (16-digit ID generated when absent; never 666… or 20000…)',
        description:
          'Operators register in any organisation (default `platform`); developers and owners in their own (default: their only one).',
        body: CreateMiniProgramBodySchema,
        response: responses({ 201: MiniProgramSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.get(
    '/mini-programs/:id/packages',
    {
      config: READ,
      schema: {
        tags,
        summary: 'List the package versions of a mini program, each with its review and checks',
        params: MiniProgramParamsSchema,
        response: responses({ 200: PackageListSchema }),
      },
    },
    async (request) => ({ items: await svc.listPackages(request.params.id) }),
  );

  app.post(
    '/mini-programs/:id/packages',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Upload a package version (its automatic checks are made here and kept with it)',
        description:
          'multipart/form-data: field `version`, file `package`, optional `clientVersionMin`, `clientVersionMax`, `platform`, `releaseSignature` (required once the organisation has a release key: 400 RELEASE_SIGNATURE_INVALID when missing or wrong, and nothing is stored).',
        params: MiniProgramParamsSchema,
        body: packageForm(app.packageStore, app.config.maxPackageBytes),
        response: responses({ 201: PackageSchema }),
      },
    },
    async (request, reply) => {
      const { package: file, ...fields } = request.body;
      return reply.code(201).send(await svc.addPackage(request.params.id, { ...fields, file }, principalOf(request)));
    },
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
