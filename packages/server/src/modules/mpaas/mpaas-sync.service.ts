import type { HostApp, SyncHostAppBody } from '@mpop/contracts';
import { NAME_MAX } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { cleanName, sanitizeName } from '../../lib/names.js';
import type { Principal } from '../auth/auth.service.js';
import type { HostAppService } from '../host-apps/host-app.service.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import type { Executor } from '../../db/executor.js';
import type { MpaasDirectory } from './mpaas-directory.js';

/** "Sync mPaaS Backend Apps with One Click": registers an mPaaS app in a workspace with mPaaS's own IDs. */
export class MpaasSyncService {
  constructor(
    private readonly db: Executor,
    readonly directory: MpaasDirectory,
    private readonly hostApps: HostAppService,
  ) {}

  /** Nothing is written unless mPaaS answered and knows both the app and the workspace. */
  async sync(body: SyncHostAppBody, actor: Principal): Promise<HostApp> {
    if (await new HostAppRepository(this.db).find(body.workspaceId, body.appId)) {
      throw new AppError('HOST_APP_EXISTS', `The mPaaS app ${body.appId} is already synced to workspace ${body.workspaceId}.`, {
        params: { appId: body.appId, workspaceId: body.workspaceId },
      });
    }
    const [apps, workspaces] = await Promise.all([this.directory.listApps(), this.directory.listWorkspaces()]);
    const app = apps.find((a) => a.appId === body.appId);
    if (!app) throw new AppError('NOT_FOUND', `The mPaaS backend has no app ${body.appId}. Pick one from the list of mPaaS apps.`);
    if (!workspaces.some((w) => w.workspaceId === body.workspaceId)) {
      throw new AppError('NOT_FOUND', `The mPaaS backend has no workspace ${body.workspaceId}. Pick one from the list of workspaces.`);
    }
    // A name chosen in the dialog follows the rules of every name; mPaaS names are shown as they are, minus what mpop
    // never stores (see lib/names.ts).
    const name =
      body.name !== undefined
        ? cleanName(body.name, { field: 'name', label: 'The App name', max: NAME_MAX })
        : sanitizeName(app.appName, NAME_MAX, app.appId);
    return this.hostApps.insert(
      { name, workspaceId: body.workspaceId, source: 'mpaas', appId: app.appId, tenantId: app.tenantId || undefined },
      actor,
      'host-app.synced',
    );
  }
}
