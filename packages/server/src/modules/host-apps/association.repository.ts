import { sql } from 'kysely';
import type { Association, AssociationState } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

export interface AssociationFilter {
  state?: AssociationState;
  miniProgramId?: string;
  orgId?: string;
  workspaceId?: string;
  appId?: string;
  /** Only these organisations (a member's); undefined: every one. */
  orgIds?: string[];
}

/** Association requests of mini programs to host apps; the organisation is the mini program's. */
export class AssociationRepository {
  constructor(private readonly db: Executor) {}

  private base() {
    return this.db
      .selectFrom('associations')
      .innerJoin('miniPrograms', 'miniPrograms.miniProgramId', 'associations.miniProgramId')
      .select([
        'associations.associationId',
        'associations.miniProgramId',
        'miniPrograms.orgId',
        'associations.workspaceId',
        'associations.appId',
        'associations.state',
        'associations.note',
        'associations.reason',
        'associations.requestedBy',
        'associations.requestedAt',
        'associations.decidedBy',
        'associations.decidedAt',
      ]);
  }

  find(associationId: string): Promise<Association | undefined> {
    return this.base().where('associations.associationId', '=', associationId).executeTakeFirst();
  }

  /** The pending or approved association of a mini program with a host app, if any (at most one). */
  findOpen(miniProgramId: string, workspaceId: string, appId: string): Promise<Association | undefined> {
    return this.base()
      .where('associations.miniProgramId', '=', miniProgramId)
      .where('associations.workspaceId', '=', workspaceId)
      .where('associations.appId', '=', appId)
      .where('associations.state', 'in', ['pending', 'approved'])
      .executeTakeFirst();
  }

  async insert(row: Omit<Association, 'orgId'>) {
    await this.db.insertInto('associations').values(row).execute();
  }

  /**
   * Moves an association from one of `from` to `to`. @returns whether it moved (false: its state changed
   * meanwhile, or it is not in one of `from`).
   */
  async transition(
    associationId: string,
    from: AssociationState[],
    to: { state: AssociationState; decidedBy?: string; decidedAt?: string; reason?: string | null },
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('associations')
      .set(to)
      .where('associationId', '=', associationId)
      .where('state', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Ends every open association with a host app that is going away. */
  async revokeForHostApp(workspaceId: string, appId: string, by: string, at: string) {
    await this.db
      .updateTable('associations')
      .set({ state: 'revoked', decidedBy: by, decidedAt: at })
      .where('workspaceId', '=', workspaceId)
      .where('appId', '=', appId)
      .where('state', 'in', ['pending', 'approved'])
      .execute();
  }

  private filtered(f: AssociationFilter) {
    let q = this.base();
    if (f.state) q = q.where('associations.state', '=', f.state);
    if (f.miniProgramId) q = q.where('associations.miniProgramId', '=', f.miniProgramId);
    if (f.orgId) q = q.where('miniPrograms.orgId', '=', f.orgId);
    if (f.workspaceId) q = q.where('associations.workspaceId', '=', f.workspaceId);
    if (f.appId) q = q.where('associations.appId', '=', f.appId);
    // A member of no organisation sees nothing.
    if (f.orgIds) q = f.orgIds.length ? q.where('miniPrograms.orgId', 'in', f.orgIds) : q.where(sql<boolean>`1 = 0`);
    return q;
  }

  async count(f: AssociationFilter): Promise<number> {
    const row = await this.filtered(f)
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A page, the newest request first. */
  list(f: AssociationFilter, offset: number, limit: number): Promise<Association[]> {
    return this.filtered(f).orderBy('associations.id', 'desc').offset(offset).limit(limit).execute();
  }
}
