import { sql } from 'kysely';
import type { Changes, Check, Review, ReviewState } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import type { ReviewRow } from '../../db/schema.js';
import type { PackageManifest } from './package-checks.js';

/** A review row as the API shows it. */
export const toReview = (r: Omit<ReviewRow, 'manifest' | 'updatedAt' | 'miniProgramId' | 'version'>): Review => ({
  state: r.state,
  submittedBy: r.submittedBy,
  submittedAt: r.submittedAt,
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt,
  note: r.note,
  reason: r.reason,
  checks: JSON.parse(r.checks) as Check[],
  changes: JSON.parse(r.changes) as Changes,
});

const REVIEW_COLUMNS = [
  'reviews.state',
  'reviews.submittedBy',
  'reviews.submittedAt',
  'reviews.decidedBy',
  'reviews.decidedAt',
  'reviews.note',
  'reviews.reason',
  'reviews.checks',
  'reviews.changes',
] as const;

export interface ReviewFilter {
  state?: ReviewState;
  miniProgramId?: string;
  orgId?: string;
  /** Only these organisations (a member's); undefined: every one. */
  orgIds?: string[];
}

/** The reviews of package versions: one row per version, made at upload. */
export class ReviewRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: { miniProgramId: string; version: string; checks: Check[]; changes: Changes; manifest: PackageManifest; at: string }) {
    await this.db
      .insertInto('reviews')
      .values({
        miniProgramId: row.miniProgramId,
        version: row.version,
        state: 'draft',
        checks: JSON.stringify(row.checks),
        changes: JSON.stringify(row.changes),
        manifest: JSON.stringify(row.manifest),
        updatedAt: row.at,
      })
      .execute();
  }

  find(miniProgramId: string, version: string) {
    return this.db
      .selectFrom('reviews')
      .selectAll()
      .where('miniProgramId', '=', miniProgramId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** The manifest of a version, parsed; null when it was uploaded before manifests were kept. */
  async manifest(miniProgramId: string, version: string): Promise<PackageManifest | null | undefined> {
    const row = await this.db
      .selectFrom('reviews')
      .select('manifest')
      .where('miniProgramId', '=', miniProgramId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.manifest === null ? null : (JSON.parse(row.manifest) as PackageManifest);
  }

  /** Reviews of a mini program's versions, by version. */
  async forMiniProgram(miniProgramId: string): Promise<Map<string, Review>> {
    const rows = await this.db
      .selectFrom('reviews')
      .select(['reviews.version', ...REVIEW_COLUMNS])
      .where('miniProgramId', '=', miniProgramId)
      .execute();
    return new Map(rows.map((r) => [r.version, toReview(r)]));
  }

  /** The version of a mini program in review, if any. */
  async openVersion(miniProgramId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('reviews')
      .select('version')
      .where('miniProgramId', '=', miniProgramId)
      .where('state', '=', 'in-review')
      .executeTakeFirst();
    return row?.version;
  }

  /**
   * Moves a review from one of `from` to a new state with its fields. @returns whether it moved (false: its state
   * changed meanwhile). On `in-review`, the partial unique index refuses a second open review of the mini program.
   */
  async transition(
    miniProgramId: string,
    version: string,
    from: ReviewState[],
    to: { state: ReviewState } & Partial<Pick<ReviewRow, 'submittedBy' | 'submittedAt' | 'decidedBy' | 'decidedAt' | 'note' | 'reason'>>,
    at: string,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('reviews')
      .set({ ...to, updatedAt: at })
      .where('miniProgramId', '=', miniProgramId)
      .where('version', '=', version)
      .where('state', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  private filtered(f: ReviewFilter) {
    let q = this.db.selectFrom('reviews').innerJoin('miniPrograms', 'miniPrograms.miniProgramId', 'reviews.miniProgramId');
    if (f.state) q = q.where('reviews.state', '=', f.state);
    if (f.miniProgramId) q = q.where('reviews.miniProgramId', '=', f.miniProgramId);
    if (f.orgId) q = q.where('miniPrograms.orgId', '=', f.orgId);
    // A member of no organisation sees nothing.
    if (f.orgIds) q = f.orgIds.length ? q.where('miniPrograms.orgId', 'in', f.orgIds) : q.where(sql<boolean>`1 = 0`);
    return q;
  }

  async count(f: ReviewFilter): Promise<number> {
    const row = await this.filtered(f)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A page of reviews, the latest change first. */
  list(f: ReviewFilter, offset: number, limit: number) {
    return this.filtered(f)
      .select(['reviews.miniProgramId', 'reviews.version', 'miniPrograms.name', 'miniPrograms.orgId', ...REVIEW_COLUMNS])
      .orderBy('reviews.updatedAt', 'desc')
      .orderBy('reviews.miniProgramId')
      .orderBy('reviews.version', 'desc')
      .offset(offset)
      .limit(limit)
      .execute();
  }
}
