import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { MpaasAppSchema, MpaasWorkspaceSchema, type MpaasApp, type MpaasWorkspace } from '@mpop/contracts';
import { mpaasUnavailable, type MpaasDirectory } from './mpaas-directory.js';

/** TypeBox's value checker, loaded only where a directory file is used (it costs every start a tenth of a second). */
const valueChecker = () => import('typebox/value');

const DirectorySchema = Type.Object({ apps: Type.Array(MpaasAppSchema), workspaces: Type.Array(MpaasWorkspaceSchema) });

/**
 * An offline mPaaS directory: `{ "apps": [...], "workspaces": [...] }` in the shapes of GET /api/v1/mpaas/…
 * Read on every call, so edits take effect without a restart.
 */
export class FileDirectory implements MpaasDirectory {
  constructor(private readonly file: string) {}

  /**
   * The directory of `file`, read once now: a file that is missing or broken stops the start with a message, as
   * every other setting does, instead of answering "Sync mPaaS Backend Apps" with an error days later.
   */
  static async checkedAtStart(file: string): Promise<FileDirectory> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new DirectoryFileError(`MPAAS_DIRECTORY_FILE names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code}).`);
    }
    const problem = await FileDirectory.problemOf(text);
    if (problem) throw new DirectoryFileError(`MPAAS_DIRECTORY_FILE: ${file} ${problem}.`);
    return new FileDirectory(file);
  }

  /** What is wrong with the text of a directory file, or undefined when it is a valid one. */
  private static async problemOf(text: string): Promise<string | undefined> {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      return `is not JSON (${(err as Error).message})`;
    }
    const { Value } = await valueChecker();
    if (Value.Check(DirectorySchema, data)) return undefined;
    const first = [...Value.Errors(DirectorySchema, data)][0];
    return `is not a valid mPaaS directory${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}; see docs/mpaas-directory.example.json`;
  }

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
    const { Value } = await valueChecker();
    if (!Value.Check(DirectorySchema, data)) {
      const first = [...Value.Errors(DirectorySchema, data)][0];
      throw mpaasUnavailable(
        `The mPaaS directory file ${this.file} is not valid${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}. See docs/mpaas-directory.example.json.`,
      );
    }
    return data;
  }
}

/** A directory file that is missing or broken at start. */
export class DirectoryFileError extends Error {
  override name = 'DirectoryFileError';
}
