import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { DevConfig, HostApp, HostAppList, ManifestInfo } from '@mpop/contracts';
import { usageError } from '../errors.js';
import { call, type Connection } from '../http.js';
import { type Output, table } from '../output.js';

export interface Context {
  out: () => Output;
  conn: () => Connection;
}

const item = (ws: string, appId: string) => `/api/v1/host-apps/${encodeURIComponent(ws)}/${encodeURIComponent(appId)}`;

const describe = (a: HostApp) =>
  [
    `name:          ${a.name}`,
    `appId:         ${a.appId}`,
    `workspaceId:   ${a.workspaceId}`,
    `tenantId:      ${a.tenantId}`,
    `source:        ${a.source}`,
    `devConfigured: ${a.devConfigured}`,
    `enabled:       ${a.enabled}`,
    `createdAt:     ${a.createdAt}`,
    `updatedAt:     ${a.updatedAt}`,
  ].join('\n');

/** `mpop host-apps …`: the Host App list of the console, for scripts. */
export function hostAppsCommand(program: Command, ctx: Context) {
  const cmd = program.command('host-apps').description('host apps: the apps allowed to load mini programs');

  cmd
    .command('list')
    .description('list host apps, newest first')
    .option('--query <text>', 'part of the name (case-insensitive), or an exact APPID')
    .option('--workspace-id <id>', 'only this workspace')
    .option('--page <n>', 'page number', '1')
    .option('--page-size <n>', 'items per page (1-100)', '100')
    .action(async (o: { query?: string; workspaceId?: string; page: string; pageSize: string }) => {
      const q = new URLSearchParams({ page: o.page, pageSize: o.pageSize });
      if (o.query) q.set('query', o.query);
      if (o.workspaceId) q.set('workspaceId', o.workspaceId);
      const list = (await call(ctx.conn(), 'GET', `/api/v1/host-apps?${q}`)).json as HostAppList;
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No host apps.'
            : `${table([
                ['APPID', 'WORKSPACE', 'NAME', 'CONFIGURED', 'ENABLED'],
                ...list.items.map((a) => [a.appId, a.workspaceId, a.name, a.devConfigured ? 'yes' : 'no', a.enabled ? 'yes' : 'no']),
              ])}\n(${list.items.length} of ${list.totalIsEstimate ? 'about ' : ''}${list.total})`,
        );
    });

  cmd
    .command('add')
    .description('add a host app; its APPID and tenant ID are generated')
    .requiredOption('--name <name>', 'the app name (1-64 characters)')
    .requiredOption('--workspace-id <id>', 'the workspace, such as default')
    .action(async (o: { name: string; workspaceId: string }) => {
      const app = (await call(ctx.conn(), 'POST', '/api/v1/host-apps', { name: o.name, workspaceId: o.workspaceId })).json as HostApp;
      ctx.out().result(app, () => `Added "${app.name}": appId ${app.appId}, tenantId ${app.tenantId}, workspace ${app.workspaceId}.`);
    });

  cmd
    .command('show <workspaceId> <appId>')
    .description("show a host app's basic information")
    .action(async (ws: string, appId: string) => {
      const app = (await call(ctx.conn(), 'GET', item(ws, appId))).json as HostApp;
      ctx.out().result(app, () => describe(app));
    });

  cmd
    .command('delete <workspaceId> <appId>')
    .description('delete a host app, its development configuration and its private key')
    .option('--yes', 'confirm: this cannot be undone')
    .action(async (ws: string, appId: string, o: { yes?: boolean }) => {
      if (!o.yes) throw usageError(`Deleting removes ${appId} and its private key for good; add --yes to confirm.`);
      await call(ctx.conn(), 'DELETE', item(ws, appId));
      ctx.out().result({}, () => `Deleted ${appId} (workspace ${ws}).`);
    });

  cmd
    .command('rename <workspaceId> <appId>')
    .description('give a host app another name (1-64 characters, unique in its workspace)')
    .requiredOption('--name <name>', 'the new name')
    .action(async (ws: string, appId: string, o: { name: string }) => {
      const app = (await call(ctx.conn(), 'PATCH', item(ws, appId), { name: o.name })).json as HostApp;
      ctx.out().result(app, () => `${app.appId} is now "${app.name}".`);
    });

  cmd
    .command('mini-programs <workspaceId> <appId>')
    .description('the mini programs authorised for a host app')
    .action(async (ws: string, appId: string) => {
      const list = (await call(ctx.conn(), 'GET', `${item(ws, appId)}/mini-programs`)).json as {
        items: { miniProgramId: string; name: string }[];
      };
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? `No mini program is authorised for ${appId}: authorise one with mpop mini-programs authorise.`
            : table([['ID', 'NAME'], ...list.items.map((m) => [m.miniProgramId, m.name])]),
        );
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    cmd
      .command(`${name} <workspaceId> <appId>`)
      .description(enabled ? 'enable a disabled host app again' : 'disable a host app: the client API refuses it (403 HOST_APP_DISABLED)')
      .action(async (ws: string, appId: string) => {
        const app = (await call(ctx.conn(), 'PATCH', item(ws, appId), { enabled })).json as HostApp;
        ctx.out().result(app, () => `${app.appId} is ${app.enabled ? 'enabled' : 'disabled'}.`);
      });
  }

  cmd
    .command('dev-config <workspaceId> <appId>')
    .description('make the development configuration: virtual domain and RSA private key (PEM)')
    .requiredOption('--virtual-domain <domain>', 'a host name such as mini.example.com')
    .option(
      '--private-key <file>',
      'the private key PEM (openssl genrsa -out private_key.pem 2048); may be left out to keep the current key',
    )
    .action(async (ws: string, appId: string, o: { virtualDomain: string; privateKey?: string }) => {
      if (o.privateKey && !fs.existsSync(o.privateKey)) throw usageError(`${o.privateKey} does not exist.`);
      const config = (
        await call(ctx.conn(), 'PUT', `${item(ws, appId)}/dev-config`, undefined, {
          multipart: {
            fields: { virtualDomain: o.virtualDomain },
            file: o.privateKey ? { field: 'privateKey', path: o.privateKey, contentType: 'application/x-pem-file' } : undefined,
          },
        })
      ).json as DevConfig;
      ctx
        .out()
        .result(
          config,
          () =>
            `Configured ${appId}: ${config.virtualDomain}, RSA ${config.privateKey.bits} bits, public key SHA-256 ${config.privateKey.fingerprintSha256}.`,
        );
    });

  const describeKeys = (m: ManifestInfo) =>
    [
      `generation:       ${m.generation}`,
      `manifest valid:   ${m.manifestTtlHours} hours (renewed after half)`,
      `signing key:      ${m.keyFingerprint ?? '(none: no development configuration)'}`,
      ...(m.previousKeys.length === 0
        ? ['replaced keys:    none']
        : [
            'replaced keys:',
            table([
              ['FINGERPRINT', 'REPLACED', 'RETIRED'],
              ...m.previousKeys.map((k) => [k.fingerprintSha256, k.replacedAt, k.revokedAt ?? 'no (still accepted)']),
            ]),
          ]),
    ].join('\n');

  cmd
    .command('keys <workspaceId> <appId>')
    .description("the generation of a host app's signed answers, its signing key and its replaced keys")
    .action(async (ws: string, appId: string) => {
      const info = (await call(ctx.conn(), 'GET', `${item(ws, appId)}/manifest`)).json as ManifestInfo;
      ctx.out().result(info, () => describeKeys(info));
    });

  cmd
    .command('retire-key <workspaceId> <appId> <fingerprint>')
    .description('retire a replaced key now: devices refuse its signatures once they get the next answer (cannot be undone)')
    .option('--yes', 'confirm: this cannot be undone')
    .action(async (ws: string, appId: string, fingerprint: string, o: { yes?: boolean }) => {
      if (!o.yes) {
        throw usageError(
          `Retiring ${fingerprint} makes every device of ${appId} refuse its signatures for good, and the key can never be uploaded again; add --yes to confirm.`,
        );
      }
      const info = (
        await call(ctx.conn(), 'POST', `${item(ws, appId)}/previous-keys/${encodeURIComponent(fingerprint.toLowerCase())}/retire`)
      ).json as ManifestInfo;
      ctx.out().result(info, () => `Retired ${fingerprint} for ${appId}; the next answers name it as revoked.\n${describeKeys(info)}`);
    });

  cmd
    .command('config-file <workspaceId> <appId>')
    .description('the JSON file the mobile team builds into the host app (no secret in it)')
    .option('-o, --output <file>', 'write it to this file instead of printing it')
    .action(async (ws: string, appId: string, o: { output?: string }) => {
      const answer = await call(ctx.conn(), 'GET', `${item(ws, appId)}/config-file`);
      if (o.output) {
        fs.writeFileSync(o.output, answer.body);
        ctx.out().result(answer.json, () => `Wrote ${path.resolve(o.output!)}.`);
      } else {
        ctx.out().result(answer.json, () => answer.body.toString('utf8').trimEnd());
      }
    });
}
