import type { Command } from 'commander';
import type { Role } from '@mpop/contracts';
import type { Config } from '../../config.js';
import { CliError, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { readPassword } from '../password.js';

// The server's modules (database drivers, Kysely, crypto) are loaded only by the admin commands that need them,
// so `mpop host-apps …` starts quickly.
const server = async () => {
  const [config, connect, migrations, appError, masterKey, auth, backup, backupFile, rotation, restore, startup, presence, crypto] =
    await Promise.all([
      import('../../config.js'),
      import('../../db/connect.js'),
      import('../../db/migrations/index.js'),
      import('../../lib/app-error.js'),
      import('../../modules/operations/master-key.js'),
      import('../../modules/auth/user.service.js'),
      import('../../modules/operations/backup.service.js'),
      import('../../modules/operations/backup-file.js'),
      import('../../modules/operations/master-key-rotation.js'),
      import('../../modules/operations/restore.service.js'),
      import('../../startup-errors.js'),
      import('../../db/server-presence.js'),
      import('../../lib/crypto.js'),
    ]);
  return {
    ...config,
    ...connect,
    ...migrations,
    ...appError,
    ...masterKey,
    ...auth,
    ...backup,
    ...backupFile,
    ...rotation,
    ...restore,
    ...startup,
    ...presence,
    PasswordHasher: crypto.PasswordHasher,
  };
};
type Server = Awaited<ReturnType<typeof server>>;

/** The server's own configuration (the same variables), or a usage error that names the variable to fix. */
function serverConfig(m: Server): Config {
  try {
    return m.loadConfig(process.env);
  } catch (err) {
    if (err instanceof m.ConfigError) throw usageError(err.message);
    throw err;
  }
}

/** Turns what the operations throw into one line that says what to do. */
async function guarded<T>(m: Server, config: Config, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      err instanceof m.OperationError ||
      err instanceof m.MasterKeyError ||
      err instanceof m.BackupFileError ||
      err instanceof m.DatabaseInUseError
    )
      throw new CliError(err.message);
    if (err instanceof m.AppError) throw new CliError(err.detail);
    const remedy = m.explainStartupError(err, config);
    if (remedy) throw new CliError(remedy);
    throw err;
  }
}

/** `mpop admin …`: works on the data directly, with the server's variables (DATABASE_URL, MPOP_DATA_DIR, MPOP_MASTER_KEY). */
export function adminCommand(program: Command, out: () => Output) {
  const cmd = program
    .command('admin')
    .description("operations on the data itself, with the server's variables (DATABASE_URL, MPOP_DATA_DIR, MPOP_MASTER_KEY)");

  cmd
    .command('backup <file>')
    .description(
      'write one file with every table and package (consistent while the server runs; never the master key, but authenticated with it)',
    )
    .action(async (file: string) => {
      const m = await server();
      const config = serverConfig(m);
      const o = out();
      const summary = await guarded(m, config, () => m.createBackup(config, file, (note) => o.note(note)));
      o.result(summary, () => {
        const rows = Object.values(summary.tables).reduce((a, b) => a + b, 0);
        return `Backed up ${rows} rows in ${Object.keys(summary.tables).length} tables and ${summary.packages} packages to ${summary.file} (${summary.bytes} bytes, SHA-256 ${summary.sha256}).\nThe master key is not in it: keep it apart.`;
      });
    });

  cmd
    .command('restore <file>')
    .description(
      "restore a backup into an empty database and data dir (server stopped); needs the installation's master key; a damaged, altered or foreign file changes nothing",
    )
    .option(
      '--replacing <database-url>',
      "the DATABASE_URL of the installation this restore replaces (only read): its answers' generations count, so its devices never see one go back",
    )
    .option('--generation-above <n>', 'the highest generation its devices may hold, when the replaced database is gone')
    .action(async (file: string, opts: { replacing?: string; generationAbove?: string }) => {
      const m = await server();
      const config = serverConfig(m);
      const o = out();
      const generationAbove = opts.generationAbove === undefined ? undefined : Number(opts.generationAbove);
      if (generationAbove !== undefined && !(Number.isSafeInteger(generationAbove) && generationAbove >= 0 && generationAbove < 2 ** 52)) {
        throw usageError(`--generation-above must be a whole number from 0 to ${2 ** 52 - 1}; it is "${opts.generationAbove}".`);
      }
      const summary = await guarded(m, config, () =>
        m.restoreBackup(config, file, (note) => o.note(note), { replacing: opts.replacing, generationAbove }),
      );
      o.result(summary, () => {
        const rows = Object.values(summary.tables).reduce((a, b) => a + b, 0);
        const generation = summary.aboveReplaced
          ? `Host apps answer at generation ${summary.generation}, above the replaced installation's.`
          : `Host apps answer at generation ${summary.generation} (1,000,000 above the backup's). If this backup was restored before, restore again with --replacing <the DATABASE_URL of that restore> (docs/operations.md#restoring).`;
        return `Restored ${rows} rows and ${summary.packages} packages from ${summary.file} (made ${summary.createdAt} on ${summary.source}) into ${summary.target}. ${generation} Start the server with the same master key.`;
      });
    });

  cmd
    .command('rotate-master-key')
    .description('re-seal every private key with MPOP_NEW_MASTER_KEY (refused while a server runs; safe to run again if interrupted)')
    .action(async () => {
      const m = await server();
      const config = serverConfig(m);
      const o = out();
      const summary = await guarded(m, config, async () => {
        const current = m.resolveMasterKey(config.dataDir, config.masterKey, { generate: false });
        // A server left running would seal keys uploaded meanwhile with the retired key: refuse while one holds the data.
        const release = await m.holdExclusively(config.databaseUrl, 'The master key rotation');
        const handle = m.connectDatabase(config.databaseUrl);
        try {
          await m.migrateToLatest(handle.db, handle.dialect);
          const pause = process.env.MPOP_TEST_ROTATION_PAUSE_AFTER;
          return await m.rotateMasterKey(handle.db, current, process.env.MPOP_NEW_MASTER_KEY, config.dataDir, {
            progress: (note) => o.note(note),
            pauseAfter: pause ? Number(pause) : undefined,
            onPause: () => process.stderr.write(`paused after ${pause} keys\n`),
          });
        } finally {
          await handle.db.destroy();
          await release();
        }
      });
      o.result(summary, () =>
        summary.wasComplete
          ? `The rotation was already complete${summary.keyFile ? `; ${summary.keyFile} now holds the new key` : ''}.`
          : `Re-sealed ${summary.resealed + summary.alreadyDone} private keys with the new key. ${
              summary.keyFile ? `${summary.keyFile} now holds it.` : 'Start the servers with MPOP_MASTER_KEY set to the new key.'
            }`,
      );
    });

  cmd
    .command('create-user')
    .description('create a user (the first admin, say) without the console')
    .requiredOption('--username <name>', 'the user name')
    .option('--role <role>', 'admin, operator or viewer', 'admin')
    .option('--password-stdin', 'read the password from standard input (else it is asked for on the terminal)')
    .action(async (opts: { username: string; role: string; passwordStdin?: boolean }) => {
      if (!['admin', 'operator', 'viewer'].includes(opts.role))
        throw usageError(`--role must be admin, operator or viewer; it is "${opts.role}".`);
      const m = await server();
      const config = serverConfig(m);
      const password = await readPassword(Boolean(opts.passwordStdin));
      if (password.length < 12) throw usageError('The password must be at least 12 characters long.');
      const user = await guarded(m, config, async () => {
        const handle = m.connectDatabase(config.databaseUrl);
        try {
          await m.migrateToLatest(handle.db, handle.dialect);
          return await new m.UserService(handle.db, new m.PasswordHasher(config.passwordHashCost)).create(
            { username: opts.username, password, role: opts.role as Role },
            'mpop admin',
          );
        } finally {
          await handle.db.destroy();
        }
      });
      out().result(user, () => `Created the ${user.role} "${user.username}".`);
    });
}
