import fs from 'node:fs/promises';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { MpaasAppSchema, MpaasWorkspaceSchema, type MpaasApp, type MpaasWorkspace } from '@mpop/contracts';
import { mpaasUnavailable, type MpaasDirectory } from './mpaas-directory.js';

const DirectorySchema = Type.Object({ apps: Type.Array(MpaasAppSchema), workspaces: Type.Array(MpaasWorkspaceSchema) });

/**
 * An offline mPaaS directory: `{ "apps": [...], "workspaces": [...] }` in the shapes of GET /api/v1/mpaas/…
 * Read on every call, so edits take effect without a restart.
 */
export class FileDirectory implements MpaasDirectory {
  constructor(private readonly file: string) {}

  async listApps(): Promise<MpaasApp[]> {
    return (await this.read()).apps;
  }

  async listWorkspaces(): Promise<MpaasWorkspace[]> {
    return (await this.read()).workspaces;
  }

  private async read() {
    let data: unknown;
    try {
      data = JSON.parse(await fs.readFile(this.file, 'utf8'));
    } catch (err) {
      throw mpaasUnavailable(`The mPaaS directory file ${this.file} could not be read: ${(err as Error).message}`);
    }
    if (!Value.Check(DirectorySchema, data)) {
      const first = [...Value.Errors(DirectorySchema, data)][0];
      throw mpaasUnavailable(
        `The mPaaS directory file ${this.file} is not valid${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}. See docs/mpaas-directory.example.json.`,
      );
    }
    return data;
  }
}
