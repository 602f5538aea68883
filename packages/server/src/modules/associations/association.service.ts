import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Association, AssociationListQuery, AssociationPage, RequestAssociationBody } from '@mpop/contracts';
import { isUniqueViolation } from '../../db/connect.js';
import type { Executor } from '../../db/executor.js';
import type { Database } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import type { MissingSignatures } from '../mini-programs/mini-program.service.js';
import { GenerationRepository } from '../host-apps/generation.repository.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import { hostAppNotFound } from '../host-apps/host-app.service.js';
import { MiniProgramRepository } from '../mini-programs/mini-program.repository.js';
import { requireNotSuspended, requireOrgAccess, visibleOrgIds } from '../organisations/org-access.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import type { Outbox } from '../webhooks/outbox.js';
import { AssociationRepository } from '../host-apps/association.repository.js';

export const associationTarget = (id: string) => `association:${id}`;
const associationNotFound = (id: string) => notFound(`The association ${id}`);

/**
 * Association requests: an organisation asks for its mini program to reach a host app, an operator approves
 * (the host app is then authorised for it, as a direct authorisation does) or rejects, and either side revokes.
 */
export class AssociationService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly signer: MissingSignatures,
    private readonly changes: ChangeBus,
    private readonly outbox: Outbox,
  ) {}

  async request(miniProgramId: string, body: RequestAssociationBody, principal: Principal): Promise<Association> {
    const now = nowIso();
    const { workspaceId, appId } = body;
    try {
      return await this.db.transaction().execute(async (trx) => {
        const org = await new OrganisationRepository(trx).forMiniProgram(miniProgramId);
        if (!org) throw notFound(`The mini program ${miniProgramId}`);
        requireNotSuspended(org, 'ask for associations');
        const app = await new HostAppRepository(trx).find(workspaceId, appId);
        if (!app || app.disabledAt !== null) throw hostAppNotFound(workspaceId, appId);
        const repo = new AssociationRepository(trx);
        if (await repo.findOpen(miniProgramId, workspaceId, appId)) throw associationExists(miniProgramId, appId);
        const associationId = randomUUID();
        await repo.insert({
          associationId,
          miniProgramId,
          workspaceId,
          appId,
          state: 'pending',
          note: body.note?.trim() || null,
          reason: null,
          requestedBy: principal.username,
          requestedAt: now,
          decidedBy: null,
          decidedAt: null,
        });
        return this.recorded(trx, associationId, principal, 'requested');
      });
    } catch (err) {
      throw isUniqueViolation(err) ? associationExists(miniProgramId, appId) : err;
    }
  }

  async list(query: AssociationListQuery, principal: Principal): Promise<AssociationPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const repo = new AssociationRepository(this.db);
    const filter = { ...query, orgIds: visibleOrgIds(principal) };
    const [total, items] = await Promise.all([repo.count(filter), repo.list(filter, (page - 1) * pageSize, pageSize)]);
    return { items, total, page, pageSize };
  }

  /** Approves a pending request: the host app is authorised for the mini program and its packages signed. */
  async approve(associationId: string, principal: Principal): Promise<Association> {
    const { association, hostAppId, pending } = await this.db.transaction().execute(async (trx) => {
      const a = await this.visible(trx, associationId, principal);
      const app = await new HostAppRepository(trx).find(a.workspaceId, a.appId);
      if (!app) throw hostAppNotFound(a.workspaceId, a.appId);
      await this.move(trx, a, ['pending'], { state: 'approved', decidedBy: principal.username, decidedAt: nowIso() });
      await new MiniProgramRepository(trx).authorize(app.id, a.miniProgramId, nowIso());
      const association = await this.recorded(trx, associationId, principal, 'approved');
      await new GenerationRepository(trx).raiseHostApps([app.id]);
      const pending = await this.signer.markPending(trx, { hostAppId: app.id, miniProgramId: a.miniProgramId });
      return { association, hostAppId: app.id, pending };
    });
    await this.signer.signMissing(
      { hostAppId, miniProgramId: association.miniProgramId },
      { code: 'approve-association', params: { associationId, miniProgramId: association.miniProgramId, appId: association.appId } },
      { pending },
    );
    await this.changes.publish({ kind: 'host-app-gate', workspaceId: association.workspaceId, appId: association.appId });
    return association;
  }

  async reject(associationId: string, reason: string, principal: Principal): Promise<Association> {
    return this.db.transaction().execute(async (trx) => {
      const a = await this.visible(trx, associationId, principal);
      await this.move(trx, a, ['pending'], {
        state: 'rejected',
        decidedBy: principal.username,
        decidedAt: nowIso(),
        reason: reason.trim(),
      });
      return this.recorded(trx, associationId, principal, 'rejected', { reason: reason.trim() });
    });
  }

  /**
   * Ends a pending or approved association: the host app no longer gets the mini program. Operators and the
   * organisation's developers may; others' associations answer 404.
   */
  async revoke(associationId: string, principal: Principal): Promise<Association> {
    const association = await this.db.transaction().execute(async (trx) => {
      const a = await this.visible(trx, associationId, principal, 'developer');
      await this.move(trx, a, ['pending', 'approved'], { state: 'revoked', decidedBy: principal.username, decidedAt: nowIso() });
      const app = await new HostAppRepository(trx).find(a.workspaceId, a.appId);
      if (app) await new MiniProgramRepository(trx).revoke(app.id, a.miniProgramId);
      const revoked = await this.recorded(trx, associationId, principal, 'revoked');
      if (app) await new GenerationRepository(trx).raiseHostApps([app.id]);
      return revoked;
    });
    await this.changes.publish({ kind: 'host-app-gate', workspaceId: association.workspaceId, appId: association.appId });
    return association;
  }

  /** The association, when the principal may act on it (operators; with `member`, the organisation's members too). */
  private async visible(trx: Executor, associationId: string, principal: Principal, member?: 'developer'): Promise<Association> {
    const a = await new AssociationRepository(trx).find(associationId);
    if (!a) throw associationNotFound(associationId);
    requireOrgAccess(principal, a.orgId, { platform: 'operator', org: member ?? 'owner' }, `The association ${associationId}`);
    if (!member && principal.role === null) throw new AppError('FORBIDDEN', 'Only platform operators decide association requests.');
    return a;
  }

  private async move(trx: Executor, a: Association, from: Association['state'][], to: Parameters<AssociationRepository['transition']>[2]) {
    if (!(await new AssociationRepository(trx).transition(a.associationId, from, to))) {
      throw new AppError(
        'INVALID_TRANSITION',
        `The association ${a.associationId} is ${a.state}; only a ${from.join(' or ')} one can become ${to.state}.`,
      );
    }
  }

  /** Reads the association back, and records the audit event and the webhook event of its change. */
  private async recorded(
    trx: Executor,
    associationId: string,
    principal: Principal,
    verb: 'requested' | 'approved' | 'rejected' | 'revoked',
    extra: Record<string, unknown> = {},
  ): Promise<Association> {
    const a = (await new AssociationRepository(trx).find(associationId))!;
    await new AuditRepository(trx).record({
      actor: principal.actor,
      action: `association.${verb}`,
      target: associationTarget(associationId),
      details: { miniProgramId: a.miniProgramId, workspaceId: a.workspaceId, appId: a.appId, ...extra },
    });
    await this.outbox.record(trx, `association.${verb}`, { association: a });
    return a;
  }
}

const associationExists = (miniProgramId: string, appId: string) =>
  new AppError(
    'ASSOCIATION_EXISTS',
    `The mini program ${miniProgramId} already has a pending or approved association with the host app ${appId}; revoke it before asking again.`,
  );
