#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { adminCommand } from './commands/admin.js';
import { hostAppsCommand } from './commands/host-apps.js';
import { keysCommand } from './commands/keys.js';
import { signCommand } from './commands/sign.js';
import { miniProgramsCommand } from './commands/mini-programs.js';
import { associationsCommand, orgsCommand } from './commands/open-platform.js';
import { CliError, EXIT } from './errors.js';
import { connection } from './http.js';
import { output } from './output.js';

/**
 * `mpop`: the platform from a shell script. API commands talk to a server (MPOP_URL, MPOP_TOKEN); `admin`
 * commands work on the data with the server's own variables. Exit codes: 0 done, 1 the API or the operation
 * refused (its detail on stderr), 2 a usage error.
 */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('mpop')
  .version(version, '-V', 'print the version of mpop') // --version belongs to `mini-programs upload`
  .description('Mini Program Open Platform: host apps, mini programs and operations from the command line')
  .option('--json', "print the API's JSON (problems too) on stdout, for scripts")
  .option('--quiet', 'no progress on stderr')
  .option('--url <url>', 'the server (default: MPOP_URL)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Environment:
  MPOP_URL, MPOP_TOKEN     the server and an API token (host-apps, mini-programs, orgs, associations)
  DATABASE_URL, MPOP_DATA_DIR, MPOP_MASTER_KEY, MPOP_NEW_MASTER_KEY   for admin commands, as the server reads them

Exit codes: 0 ok, 1 refused by the API or the operation (the detail is printed), 2 usage error.`,
  );

const out = () => output(program.opts());
const ctx = { out, conn: () => connection(program.opts().url) };
hostAppsCommand(program, ctx);
miniProgramsCommand(program, ctx);
orgsCommand(program, ctx);
associationsCommand(program, ctx);
keysCommand(program, out);
signCommand(program, out);
adminCommand(program, out);

async function main() {
  try {
    await program.parseAsync(process.argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with code 0; a bad command line is a usage error (commander printed why).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      if (program.opts().json && err.problem) process.stdout.write(`${JSON.stringify(err.problem, null, 2)}\n`);
      process.stderr.write(`mpop: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`mpop: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

main().then((code) => {
  process.exitCode = code;
});
