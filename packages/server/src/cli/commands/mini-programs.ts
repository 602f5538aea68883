import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Package, Review } from '@mpop/contracts';
import { usageError } from '../errors.js';
import { call } from '../http.js';
import { table, uploadProgress } from '../output.js';
import type { Context } from './host-apps.js';

const base = (id: string) => `/api/v1/mini-programs/${encodeURIComponent(id)}`;
const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw usageError(`${name} must be a whole number; it is "${v}".`);
  return n;
};

interface Release {
  releaseId?: string;
  version: string;
  state?: string;
  percent?: number;
}

/** `mpop mini-programs …`: register, upload, release and roll back mini programs. */
export function miniProgramsCommand(program: Command, ctx: Context) {
  const cmd = program.command('mini-programs').description('mini programs: register, upload packages, release, roll back');

  cmd
    .command('list')
    .description('list mini programs')
    .action(async () => {
      const list = (await call(ctx.conn(), 'GET', '/api/v1/mini-programs')).json as {
        items: { miniProgramId: string; name: string; releasedVersion: string | null }[];
      };
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No mini programs.'
            : table([['ID', 'NAME', 'RELEASED'], ...list.items.map((m) => [m.miniProgramId, m.name, m.releasedVersion ?? '-'])]),
        );
    });

  cmd
    .command('create')
    .description('register a mini program')
    .requiredOption('--name <name>', 'its name')
    .option('--id <miniProgramId>', '16 digits (generated when left out)')
    .option('--org <orgId>', 'the organisation it belongs to (default: platform, or your only organisation)')
    .action(async (o: { name: string; id?: string; org?: string }) => {
      const body = { name: o.name, ...(o.id ? { miniProgramId: o.id } : {}), ...(o.org ? { orgId: o.org } : {}) };
      const mp = (await call(ctx.conn(), 'POST', '/api/v1/mini-programs', body)).json as {
        miniProgramId: string;
        name: string;
      };
      ctx.out().result(mp, () => `Registered "${mp.name}": ${mp.miniProgramId}.`);
    });

  cmd
    .command('upload <miniProgramId> <file>')
    .description('upload a package version (a zip with an app.json)')
    .requiredOption('--version <version>', 'four numbers, such as 1.0.0.1')
    .option('--platform <platform>', 'android, ios or harmony (default: every platform)')
    .option('--client-version-min <version>', 'lowest client version that gets it')
    .option('--client-version-max <version>', 'highest client version that gets it')
    .action(
      async (id: string, file: string, o: { version: string; platform?: string; clientVersionMin?: string; clientVersionMax?: string }) => {
        if (!fs.existsSync(file)) throw usageError(`${file} does not exist.`);
        const out = ctx.out();
        const pkg = (
          await call(ctx.conn(), 'POST', `${base(id)}/packages`, undefined, {
            multipart: {
              fields: {
                version: o.version,
                platform: o.platform,
                clientVersionMin: o.clientVersionMin,
                clientVersionMax: o.clientVersionMax,
              },
              file: { field: 'package', path: file, contentType: 'application/zip' },
            },
            onProgress: uploadProgress(out, `uploading ${path.basename(file)}`),
          })
        ).json as Package;
        const failed = pkg.review.checks.filter((c) => c.outcome !== 'pass');
        out.result(pkg, () =>
          [
            `Uploaded ${pkg.version} (${pkg.size} bytes, SHA-256 ${pkg.sha256}).`,
            ...failed.map((c) => `  ${c.outcome} ${c.name}: ${c.detail}`),
          ].join('\n'),
        );
      },
    );

  cmd
    .command('release <miniProgramId> <version>')
    .description('release a version: to everyone at once, or step by step with --percent')
    .option('--percent <n>', 'share of devices (0-100) that get it now (a gray release)', int('--percent'))
    .option('--device <id...>', 'device IDs that get it whatever the percent')
    .option('--mandatory', 'clients must update before opening the mini program')
    .option('--note <text>', 'a note for the release history')
    .action(async (id: string, version: string, o: { percent?: number; device?: string[]; mandatory?: boolean; note?: string }) => {
      const rollout =
        o.percent !== undefined || o.device ? { percent: o.percent ?? 0, ...(o.device ? { devices: o.device } : {}) } : undefined;
      const body =
        rollout || o.mandatory || o.note
          ? { ...(rollout ? { rollout } : {}), ...(o.mandatory ? { mandatory: true } : {}), ...(o.note ? { note: o.note } : {}) }
          : undefined;
      const answer = await call(ctx.conn(), 'POST', `${base(id)}/packages/${encodeURIComponent(version)}/release`, body);
      const r = (answer.json ?? {}) as Release;
      ctx
        .out()
        .result(
          answer.json,
          () => `Released ${version} of ${id}${r.percent !== undefined && r.percent < 100 ? ` to ${r.percent}% of devices` : ''}.`,
        );
    });

  cmd
    .command('submit <miniProgramId> <version>')
    .description('submit a version for review (an operator approves or rejects it)')
    .option('--note <text>', 'a note for the reviewers')
    .action(async (id: string, version: string, o: { note?: string }) => {
      const review = (
        await call(ctx.conn(), 'POST', `${base(id)}/packages/${encodeURIComponent(version)}/submit`, o.note ? { note: o.note } : {})
      ).json as Review;
      ctx.out().result(review, () => `Submitted ${version} of ${id} for review: ${review.state}.`);
    });

  cmd
    .command('rollback <miniProgramId>')
    .description('go back to an earlier version for every host app (default: the last one that was complete)')
    .option('--version <version>', 'the version to go back to')
    .action(async (id: string, o: { version?: string }) => {
      const r = (await call(ctx.conn(), 'POST', `${base(id)}/rollback`, o.version ? { version: o.version } : {})).json as Release;
      ctx.out().result(r, () => `Rolled ${id} back to ${r.version}.`);
    });
}
