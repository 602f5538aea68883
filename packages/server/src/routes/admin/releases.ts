import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  MiniProgramParamsSchema,
  PackageParamsSchema,
  PatchReleaseBodySchema,
  ReleaseBodySchema,
  ReleaseListSchema,
  ReleaseParamsSchema,
  ReleaseSchema,
  RollbackBodySchema,
} from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { responses } from '../schemas.js';

const tags = ['releases'];
/** The organisation's developers release their own mini programs too (a version that needs review must be approved). */
const READ = { role: 'member', access: { platform: 'viewer', org: 'developer' } } as const;
const WRITE = { role: 'member', access: { platform: 'operator', org: 'developer' } } as const;

/** A whitelist of 100,000 device IDs of up to 128 characters is about 13 MB of JSON. */
const RELEASE_BODY_LIMIT = 16 * 1024 * 1024;

/** Controlled releases: gray rollout (percent, steps, whitelist, host-app scope), raise/pause/resume, rollback, take-down. */
const releases: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.releases;
  // These bodies are optional (`curl -X POST …/release` releases at once): no body is validated as an empty object.
  const emptyBodyIsObject = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {};
  };

  app.post(
    '/mini-programs/:id/packages/:version/release',
    {
      config: WRITE,
      bodyLimit: RELEASE_BODY_LIMIT,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Release a version: to every device at once (no body), or as a gray release',
        description:
          'With no body (or no `rollout`) the version goes to every device at once (`complete`). With `rollout`, devices get it by cohort: a stable hash of (releaseId, deviceId) into 0..9999 below percent × 100, or when whitelisted; `steps` raise the percent on a schedule; `hostApps` limits the rollout to those host apps. A release still rolling out is superseded.',
        params: PackageParamsSchema,
        body: ReleaseBodySchema,
        response: responses({ 200: ReleaseSchema }),
      },
    },
    async (request) => svc.release(request.params.id, request.params.version, request.body, principalOf(request)),
  );

  app.get(
    '/mini-programs/:id/releases',
    {
      config: READ,
      schema: {
        tags,
        summary: 'The release history of a mini program, newest first (the first is the current release)',
        params: MiniProgramParamsSchema,
        response: responses({ 200: ReleaseListSchema }),
      },
    },
    async (request) => ({ items: await svc.list(request.params.id) }),
  );

  app.patch(
    '/mini-programs/:id/releases/:releaseId',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Raise (never lower) the percent of the current rollout, pause or resume it; 100 completes it',
        params: ReleaseParamsSchema,
        body: PatchReleaseBodySchema,
        response: responses({ 200: ReleaseSchema }),
      },
    },
    async (request) => svc.update(request.params.id, request.params.releaseId, request.body, principalOf(request)),
  );

  app.post(
    '/mini-programs/:id/rollback',
    {
      config: WRITE,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Roll back: release an earlier version (default: the last complete one) to every device at once',
        params: MiniProgramParamsSchema,
        body: RollbackBodySchema,
        response: responses({ 200: ReleaseSchema }),
      },
    },
    async (request) => svc.rollback(request.params.id, request.body, principalOf(request)),
  );

  app.post(
    '/mini-programs/:id/take-down',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Take the mini program down: no host app gets it until a version is released again',
        params: MiniProgramParamsSchema,
        response: responses({ 200: ReleaseSchema }),
      },
    },
    async (request) => svc.takeDown(request.params.id, principalOf(request)),
  );
};
export default releases;
