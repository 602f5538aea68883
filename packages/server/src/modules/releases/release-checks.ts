import type { Executor } from '../../db/executor.js';
import type { ReleaseRow } from '../../db/schema.js';
import { notFound, validationFailed } from '../../lib/app-error.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import { MiniProgramRepository } from '../mini-programs/mini-program.repository.js';
import { canonicalVersion } from '../mini-programs/versions.js';
import { nothingToRollBackTo } from './release-rows.js';
import { type RollbackTarget, rollbackScope } from './scope.js';

// What ReleaseService's operations look up and check before they write: the mini program, the host apps a scope
// names, the version a rollback asks for.

/** The mini program, or NOT_FOUND. */
export async function requireMiniProgram(db: Executor, id: string) {
  const mp = await new MiniProgramRepository(db).find(id);
  if (!mp) throw notFound(`The mini program ${id}`);
  return mp;
}

/** The host apps a release's scope names, each once; a host app that does not exist is a VALIDATION_FAILED of its field. */
export async function checkHostApps(db: Executor, refs: { workspaceId: string; appId: string }[]) {
  const repo = new HostAppRepository(db);
  const seen = new Map<string, { workspaceId: string; appId: string }>();
  for (const [i, ref] of refs.entries()) {
    if (!(await repo.find(ref.workspaceId, ref.appId))) {
      throw validationFailed(`rollout.hostApps.${i}`, `There is no host app ${ref.appId} in workspace ${ref.workspaceId}.`);
    }
    seen.set(`${ref.workspaceId}\n${ref.appId}`, { workspaceId: ref.workspaceId, appId: ref.appId });
  }
  return [...seen.values()];
}

/** A rollback to a chosen version: any uploaded version but the current release's, for the current release's scope. */
export async function chosenTarget(db: Executor, id: string, version: string, current: ReleaseRow): Promise<RollbackTarget> {
  const packages = new MiniProgramRepository(db);
  const asked = (await packages.findPackage(id, canonicalVersion(version))) ? canonicalVersion(version) : version;
  if (!(await packages.findPackage(id, asked))) throw notFound(`Version ${version} of the mini program ${id}`);
  if (asked === current.version && current.state !== 'taken-down') {
    throw nothingToRollBackTo(`Version ${version} is the current release already; choose an earlier version.`);
  }
  return { version: asked, scope: rollbackScope(current) };
}
