import type { Command } from 'commander';
import type { Association, AssociationPage, Member, MemberList, Organisation, OrganisationList } from '@mpop/contracts';
import { usageError } from '../errors.js';
import { call } from '../http.js';
import { table } from '../output.js';
import type { Context } from './host-apps.js';
import { releaseKeysCommand } from './sign.js';

const org = (orgId: string) => `/api/v1/organisations/${encodeURIComponent(orgId)}`;
const role = (v: string) => {
  if (v !== 'owner' && v !== 'developer') throw usageError(`--role must be owner or developer; it is "${v}".`);
  return v;
};

/** `mpop orgs …`: organisations of the open platform and their members. */
export function orgsCommand(program: Command, ctx: Context) {
  const cmd = program.command('orgs').description('organisations (vendors, partners, teams) and their members');

  cmd
    .command('list')
    .description('list organisations (a member sees its own)')
    .action(async () => {
      const list = (await call(ctx.conn(), 'GET', '/api/v1/organisations')).json as OrganisationList;
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No organisations.'
            : table([
                ['ID', 'NAME', 'REVIEW', 'SUSPENDED', 'MEMBERS'],
                ...list.items.map((o) => [
                  o.orgId,
                  o.name,
                  o.reviewRequired ? 'required' : 'no',
                  o.suspended ? 'yes' : 'no',
                  String(o.members),
                ]),
              ]),
        );
    });

  cmd
    .command('create')
    .description('create an organisation (admin); its versions need review')
    .requiredOption('--name <name>', 'its name')
    .option('--owner <username>', 'an existing user who becomes its first owner')
    .action(async (o: { name: string; owner?: string }) => {
      const created = (await call(ctx.conn(), 'POST', '/api/v1/organisations', { name: o.name, ...(o.owner ? { owner: o.owner } : {}) }))
        .json as Organisation;
      ctx.out().result(created, () => `Created the organisation "${created.name}": ${created.orgId}.`);
    });

  const members = cmd.command('members').description("an organisation's members");
  members
    .command('list <orgId>')
    .description('list the members')
    .action(async (orgId: string) => {
      const list = (await call(ctx.conn(), 'GET', `${org(orgId)}/members`)).json as MemberList;
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No members.'
            : table([['USER', 'ROLE', 'ADDED'], ...list.items.map((m) => [m.username, m.role, m.addedAt])]),
        );
    });
  members
    .command('set <orgId> <username>')
    .description('add a user to the organisation, or change its role (admin, owner)')
    .requiredOption('--role <role>', 'owner or developer', role)
    .action(async (orgId: string, username: string, o: { role: string }) => {
      const m = (await call(ctx.conn(), 'PUT', `${org(orgId)}/members/${encodeURIComponent(username)}`, { role: o.role })).json as Member;
      ctx.out().result(m, () => `${m.username} is a ${m.role} of ${orgId}.`);
    });
  members
    .command('remove <orgId> <username>')
    .description('remove a member (admin, owner); the last owner stays')
    .action(async (orgId: string, username: string) => {
      await call(ctx.conn(), 'DELETE', `${org(orgId)}/members/${encodeURIComponent(username)}`);
      ctx.out().result({}, () => `Removed ${username} from ${orgId}.`);
    });
  releaseKeysCommand(cmd, ctx);
}

/** `mpop associations …`: ask for a mini program to reach a host app, and follow the requests. */
export function associationsCommand(program: Command, ctx: Context) {
  const cmd = program.command('associations').description('association requests of mini programs to host apps');

  cmd
    .command('request <miniProgramId>')
    .description('ask for the mini program to reach a host app (an operator approves)')
    .requiredOption('--workspace-id <workspaceId>', "the host app's workspace")
    .requiredOption('--app-id <appId>', "the host app's appId")
    .option('--note <text>', 'a note for the operators')
    .action(async (id: string, o: { workspaceId: string; appId: string; note?: string }) => {
      const a = (
        await call(ctx.conn(), 'POST', `/api/v1/mini-programs/${encodeURIComponent(id)}/associations`, {
          workspaceId: o.workspaceId,
          appId: o.appId,
          ...(o.note ? { note: o.note } : {}),
        })
      ).json as Association;
      ctx.out().result(a, () => `Asked for ${id} to reach ${a.appId} (${a.workspaceId}): ${a.state}, ${a.associationId}.`);
    });

  cmd
    .command('list')
    .description('list association requests, newest first')
    .option('--state <state>', 'pending, approved, rejected or revoked')
    .option('--mini-program-id <id>', 'of one mini program')
    .option('--page <n>', 'page (100 a page)', '1')
    .action(async (o: { state?: string; miniProgramId?: string; page: string }) => {
      const q = new URLSearchParams({ pageSize: '100', page: o.page });
      if (o.state) q.set('state', o.state);
      if (o.miniProgramId) q.set('miniProgramId', o.miniProgramId);
      const page = (await call(ctx.conn(), 'GET', `/api/v1/associations?${q}`)).json as AssociationPage;
      ctx
        .out()
        .result(page, () =>
          page.items.length === 0
            ? 'No associations.'
            : table([
                ['ID', 'MINI PROGRAM', 'HOST APP', 'STATE', 'REASON'],
                ...page.items.map((a) => [a.associationId, a.miniProgramId, `${a.workspaceId}/${a.appId}`, a.state, a.reason ?? '']),
              ]),
        );
    });
}
