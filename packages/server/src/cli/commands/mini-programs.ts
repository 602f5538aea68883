import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Package, Review } from '@mpop/contracts';
import { CliError, usageError } from '../errors.js';
import { call } from '../http.js';
import { table, uploadProgress } from '../output.js';
import { readReleasePrivateKey, signRelease } from './sign.js';
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
  hostApps?: { workspaceId: string; appId: string }[] | null;
  createdAt?: string;
  signing?: { state: 'pending' | 'signed' | 'failed'; total: number; done: number; reason: string | null };
  autopilot?: {
    steps: number[];
    status: { step: number; devices: number; failureRate: number; decision: string; reason: string };
  } | null;
}

/** The autopilot flags of `release` and `autopilot`, as the command line gives them. */
interface AutopilotFlags {
  steps?: string;
  minMinutes?: string;
  minDevices?: string;
  maxFailureRate?: string;
  onFailure?: string;
}

/** Defaults a careful team could accept: four steps, half an hour and 100 devices each, at most 2 % failing. */
export const AUTOPILOT_DEFAULTS = { steps: [1, 10, 50, 100], minMinutes: 30, minDevices: 100, maxFailureRate: 0.02, onFailure: 'pause' };

/** The autopilot of the flags: `--steps 1,10,50,100`, `--max-failure-rate 2%` or `0.02`, `--on-failure pause|rollback`. */
export function parseAutopilot(o: AutopilotFlags) {
  const num = (name: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw usageError(`${name} must be a number of 0 or more; it is "${v}".`);
    return n;
  };
  const steps = o.steps === undefined ? AUTOPILOT_DEFAULTS.steps : o.steps.split(',').map((x) => Number(x.trim()));
  if (steps.some((p, i) => !(p > 0 && p <= 100) || (i > 0 && p <= steps[i - 1])) || steps.at(-1) !== 100)
    throw usageError(`--steps must be rising percents ending at 100, such as 1,10,50,100; it is "${o.steps}".`);
  const rate = o.maxFailureRate?.trim().endsWith('%')
    ? num('--max-failure-rate', o.maxFailureRate.trim().slice(0, -1), 0) / 100
    : num('--max-failure-rate', o.maxFailureRate, AUTOPILOT_DEFAULTS.maxFailureRate);
  if (rate > 1) throw usageError(`--max-failure-rate must be at most 1 (or 100%); it is "${o.maxFailureRate}".`);
  const onFailure = o.onFailure ?? AUTOPILOT_DEFAULTS.onFailure;
  if (onFailure !== 'pause' && onFailure !== 'rollback') throw usageError(`--on-failure must be pause or rollback; it is "${onFailure}".`);
  const minDevices = num('--min-devices', o.minDevices, AUTOPILOT_DEFAULTS.minDevices);
  if (!Number.isInteger(minDevices) || minDevices < 1)
    throw usageError(`--min-devices must be a whole number of 1 or more; it is "${o.minDevices}".`);
  return {
    steps,
    minMinutes: num('--min-minutes', o.minMinutes, AUTOPILOT_DEFAULTS.minMinutes),
    minDevices,
    maxFailureRate: rate,
    onFailure,
  };
}

/** One line about a release's autopilot: `step 2/4 (10%), advanced: 120 devices, 0.8% failed`. */
export const autopilotLine = (r: Release) => {
  const a = r.autopilot;
  if (!a) return '-';
  const s = a.status;
  return `step ${s.step + 1}/${a.steps.length} (${a.steps[s.step]}%), ${s.decision}: ${s.devices} devices, ${Math.round(s.failureRate * 1000) / 10}% failed`;
};

const autopilotOptions = (c: Command) =>
  c
    .option('--steps <percents>', `the autopilot's rising steps, ending at 100 (default ${AUTOPILOT_DEFAULTS.steps.join(',')})`)
    .option('--min-minutes <n>', `how long each step lasts at least (default ${AUTOPILOT_DEFAULTS.minMinutes})`)
    .option('--min-devices <n>', `devices that must launch it within a step (default ${AUTOPILOT_DEFAULTS.minDevices})`)
    .option('--max-failure-rate <rate>', `failures ÷ (launches + failures) above which it stops, 0.02 or 2% (default 2%)`)
    .option('--on-failure <pause|rollback>', 'what it does above that rate (default pause)');

/** `25@2026-12-07T10:00:00Z` or `25@+2h` (minutes `m`, hours `h`, days `d` from now): one step of a ramp. */
export function parseStep(text: string, now = Date.now()): { percent: number; at: string } {
  const m = /^(\d{1,3}(?:\.\d+)?)@(.+)$/.exec(text);
  const percent = m ? Number(m[1]) : Number.NaN;
  if (!m || !(percent >= 0 && percent <= 100))
    throw usageError(`--step must be PERCENT@TIME, such as 50@+2h or 50@2026-12-07T10:00:00Z; it is "${text}".`);
  const rel = /^\+(\d+)([mhd])$/.exec(m[2]);
  const at = rel ? new Date(now + Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd']) : new Date(m[2]);
  if (Number.isNaN(at.getTime())) throw usageError(`--step ${text}: "${m[2]}" is not a time (use +30m, +2h, +1d or an ISO 8601 time).`);
  return { percent, at: at.toISOString() };
}

/** `default/09FEF59478AB4`: a host app named as WORKSPACE/APPID. */
function parseHostApp(text: string): { workspaceId: string; appId: string } {
  const [workspaceId, appId, ...rest] = text.split('/');
  if (!workspaceId || !appId || rest.length > 0)
    throw usageError(`--host-app must be WORKSPACE/APPID, such as default/09FEF59478AB4; it is "${text}".`);
  return { workspaceId, appId };
}

const reach = (r: Release) =>
  r.signing && r.signing.total === 0
    ? ' No host app is authorised for it, so no device gets it: authorise one with `mpop mini-programs authorise`.'
    : '';

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
    .option('--release-signature <base64>', 'the release signature made with `mpop sign` (needed once the organisation has a release key)')
    .option('--sign-key <file>', 'sign with this release private key on the fly, instead of --release-signature')
    .action(
      async (
        id: string,
        file: string,
        o: {
          version: string;
          platform?: string;
          clientVersionMin?: string;
          clientVersionMax?: string;
          releaseSignature?: string;
          signKey?: string;
        },
      ) => {
        if (!fs.existsSync(file)) throw usageError(`${file} does not exist.`);
        if (o.releaseSignature && o.signKey) throw usageError('Give --release-signature or --sign-key, not both.');
        const releaseSignature = o.signKey
          ? (await signRelease(readReleasePrivateKey(o.signKey), id, o.version, file)).releaseSignature
          : o.releaseSignature;
        const out = ctx.out();
        const pkg = (
          await call(ctx.conn(), 'POST', `${base(id)}/packages`, undefined, {
            multipart: {
              fields: {
                version: o.version,
                platform: o.platform,
                clientVersionMin: o.clientVersionMin,
                clientVersionMax: o.clientVersionMax,
                releaseSignature,
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
    .option('--step <percent@time...>', 'later steps of the ramp, such as 50@+2h 100@+1d (or ISO 8601 times)')
    .option('--device <id...>', 'device IDs that get it whatever the percent')
    .option('--host-app <workspace/appId...>', 'roll forward only these host apps (others keep their version)')
    .option('--mandatory', 'clients must update before opening the mini program')
    .option('--note <text>', 'a note for the release history')
    .option('--autopilot', 'let it steer itself: step by step while devices launch it, stopping when too many fail');
  autopilotOptions(cmd.commands.at(-1)!)
    .option('--no-wait', 'return at once instead of waiting until every host app has its signature')
    .action(
      async (
        id: string,
        version: string,
        o: {
          percent?: number;
          step?: string[];
          device?: string[];
          hostApp?: string[];
          mandatory?: boolean;
          note?: string;
          wait: boolean;
          autopilot?: boolean;
        } & AutopilotFlags,
      ) => {
        const autopilot = o.autopilot ? parseAutopilot(o) : undefined;
        if (!o.autopilot && (o.steps || o.minMinutes || o.minDevices || o.maxFailureRate || o.onFailure))
          throw usageError('--steps, --min-minutes, --min-devices, --max-failure-rate and --on-failure go with --autopilot.');
        if (autopilot && (o.percent !== undefined || o.step))
          throw usageError('--autopilot starts at its first step and sets the ramp: leave out --percent and --step.');
        const gray = o.percent !== undefined || o.step || o.device || o.hostApp;
        const rollout = gray
          ? {
              percent: autopilot ? autopilot.steps[0] : (o.percent ?? (o.step || o.device ? 0 : 100)),
              ...(o.step ? { steps: o.step.map((s) => parseStep(s)) } : {}),
              ...(o.device ? { devices: o.device } : {}),
              ...(o.hostApp ? { hostApps: o.hostApp.map(parseHostApp) } : {}),
            }
          : undefined;
        const body =
          rollout || o.mandatory || o.note || autopilot
            ? {
                ...(rollout ? { rollout } : {}),
                ...(o.mandatory ? { mandatory: true } : {}),
                ...(o.note ? { note: o.note } : {}),
                ...(autopilot ? { autopilot } : {}),
              }
            : undefined;
        const answer = await call(ctx.conn(), 'POST', `${base(id)}/packages/${encodeURIComponent(version)}/release`, body);
        // Host apps get the version once it is signed with their key: a script that goes on to test a device
        // should find it there, so wait (with progress on stderr) unless told not to.
        const r = o.wait ? await signed(id, answer.json as Release) : ((answer.json ?? {}) as Release);
        ctx
          .out()
          .result(
            answer.json,
            () =>
              `Released ${version} of ${id}${r.percent !== undefined && r.percent < 100 ? ` to ${r.percent}% of devices` : ''}.${reach(r)}` +
              (autopilot
                ? ` The autopilot moves it through ${autopilot.steps.join(', ')} % once each step has lasted ${autopilot.minMinutes} minutes and ${autopilot.minDevices} devices launched it, and ${autopilot.onFailure === 'rollback' ? 'rolls it back' : 'pauses it'} if more than ${Math.round(autopilot.maxFailureRate * 1000) / 10}% fail.`
                : ''),
          );
      },
    );

  /** Waits until the release's version is signed for every host app that may get it (or signing failed). */
  const signed = async (id: string, release: Release, timeoutMs = 300_000): Promise<Release> => {
    const until = Date.now() + timeoutMs;
    let r = release;
    let said = '';
    while (r.signing?.state === 'pending') {
      if (Date.now() > until)
        throw new CliError(`Signing of ${r.version} is still pending after ${timeoutMs / 1000} s; see the Signing jobs page.`);
      const progress = `signing ${r.version}: ${r.signing.done} of ${r.signing.total} host apps`;
      if (progress !== said) ctx.out().note(progress);
      said = progress;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { items } = (await call(ctx.conn(), 'GET', `${base(id)}/releases`)).json as { items: Release[] };
      r = items.find((x) => x.releaseId === release.releaseId) ?? r;
    }
    if (r.signing?.state === 'failed')
      throw new CliError(`Released ${r.version}, but signing failed: ${r.signing.reason ?? 'see the Signing jobs page'}.`);
    return r;
  };

  /** The release a command about "the current rollout" means: the newest one still rolling out or paused. */
  const currentRollout = async (id: string): Promise<Release & { releaseId: string }> => {
    const { items } = (await call(ctx.conn(), 'GET', `${base(id)}/releases`)).json as { items: (Release & { releaseId: string })[] };
    const current = items.find((r) => r.state === 'rolling-out' || r.state === 'paused');
    if (!current) throw usageError(`${id} has no release rolling out (see: mpop mini-programs releases ${id}).`);
    return current;
  };
  const patchRollout = async (
    id: string,
    body: { percent?: number; paused?: boolean; autopilot?: unknown },
    done: (r: Release) => string,
  ) => {
    const current = await currentRollout(id);
    const r = (await call(ctx.conn(), 'PATCH', `${base(id)}/releases/${encodeURIComponent(current.releaseId)}`, body)).json as Release;
    ctx.out().result(r, () => done(r));
  };

  cmd
    .command('raise <miniProgramId>')
    .description('raise the share of devices of the current rollout (never lowers it; 100 completes it)')
    .requiredOption('--percent <n>', 'the new share (0-100)', int('--percent'))
    .action((id: string, o: { percent: number }) =>
      patchRollout(id, { percent: o.percent }, (r) => `${r.version} of ${id} now goes to ${r.percent}% of devices (${r.state}).`),
    );
  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    cmd
      .command(`${name} <miniProgramId>`)
      .description(paused ? 'pause the current rollout: its steps wait' : 'resume a paused rollout')
      .action((id: string) => patchRollout(id, { paused }, (r) => `The rollout of ${r.version} of ${id} is ${r.state}.`));
  }

  autopilotOptions(
    cmd
      .command('autopilot <miniProgramId>')
      .description('hand the current rollout to the autopilot (from the step it is in), or take it back with --off')
      .option('--off', 'steer the rollout by hand again'),
  ).action((id: string, o: AutopilotFlags & { off?: boolean }) =>
    patchRollout(id, { autopilot: o.off ? null : parseAutopilot(o) }, (r) =>
      r.autopilot
        ? `The autopilot steers ${r.version} of ${id}: ${autopilotLine(r)}.`
        : `The rollout of ${r.version} of ${id} is steered by hand.`,
    ),
  );

  cmd
    .command('take-down <miniProgramId>')
    .description('take the mini program down: no host app gets it until a version is released again')
    .option('--yes', 'confirm: devices stop getting it at their next call')
    .action(async (id: string, o: { yes?: boolean }) => {
      if (!o.yes) throw usageError(`Taking ${id} down stops every host app from getting it; add --yes to confirm.`);
      const r = (await call(ctx.conn(), 'POST', `${base(id)}/take-down`)).json as Release;
      ctx.out().result(r, () => `Took ${id} down; release a version to bring it back.`);
    });

  cmd
    .command('releases <miniProgramId>')
    .description('the release history, newest first')
    .action(async (id: string) => {
      const list = (await call(ctx.conn(), 'GET', `${base(id)}/releases`)).json as { items: Release[] };
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No releases.'
            : table([
                ['VERSION', 'STATE', 'PERCENT', 'HOST APPS', 'AUTOPILOT', 'CREATED'],
                ...list.items.map((r) => [
                  r.version,
                  r.state ?? '',
                  `${r.percent ?? ''}%`,
                  r.hostApps ? r.hostApps.map((h) => `${h.workspaceId}/${h.appId}`).join(' ') : 'all',
                  autopilotLine(r),
                  r.createdAt ?? '',
                ]),
              ]),
        );
    });

  for (const [name, method] of [
    ['authorise', 'PUT'],
    ['revoke', 'DELETE'],
  ] as const) {
    cmd
      .command(`${name} <miniProgramId> <workspaceId> <appId>`)
      .description(
        method === 'PUT'
          ? 'authorise a mini program for a host app: its released version reaches that app'
          : 'revoke the authorisation: the host app no longer gets the mini program',
      )
      .action(async (id: string, ws: string, appId: string) => {
        const answer = await call(
          ctx.conn(),
          method,
          `/api/v1/host-apps/${encodeURIComponent(ws)}/${encodeURIComponent(appId)}/mini-programs/${encodeURIComponent(id)}`,
        );
        ctx
          .out()
          .result(answer.json ?? {}, () =>
            method === 'PUT' ? `Authorised ${id} for ${appId} (workspace ${ws}).` : `Revoked ${id} for ${appId} (workspace ${ws}).`,
          );
      });
  }

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
      ctx.out().result(r, () => `Rolled ${id} back to ${r.version}.${reach(r)}`);
    });
}
