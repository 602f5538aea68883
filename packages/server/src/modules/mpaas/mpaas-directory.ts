import type { MpaasApp, MpaasWorkspace } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';

/** Where "Sync mPaaS Backend Apps" reads apps and workspaces from: the mPaaS OpenAPI or an offline file. */
export interface MpaasDirectory {
  listApps(): Promise<MpaasApp[]>;
  listWorkspaces(): Promise<MpaasWorkspace[]>;
}

/** Used when neither a backend nor a directory file is configured: every call explains what to set. */
export class UnconfiguredDirectory implements MpaasDirectory {
  private fail(): never {
    throw new AppError(
      'MPAAS_NOT_CONFIGURED',
      'No mPaaS backend is configured. Set MPAAS_ENDPOINT, MPAAS_ACCESS_KEY_ID and MPAAS_ACCESS_KEY_SECRET (and MPAAS_REGION), ' +
        'or MPAAS_DIRECTORY_FILE for an offline directory, then restart mpop.',
    );
  }
  listApps = async () => this.fail();
  listWorkspaces = async () => this.fail();
}

export const mpaasUnavailable = (detail: string, status: 502 | 504 = 502) => new AppError('MPAAS_UNAVAILABLE', detail, { status });

/**
 * A directory made on its first use: the mPaaS SDK (about 25 MiB of memory) is loaded when a sync needs it, not by
 * every server at start. A failure to make it is not kept: the next call tries again.
 */
export function lazyDirectory(make: () => Promise<MpaasDirectory>): MpaasDirectory {
  let made: Promise<MpaasDirectory> | undefined;
  const get = () => {
    made ??= make().catch((err) => {
      made = undefined;
      throw err;
    });
    return made;
  };
  return {
    listApps: async () => (await get()).listApps(),
    listWorkspaces: async () => (await get()).listWorkspaces(),
  };
}
