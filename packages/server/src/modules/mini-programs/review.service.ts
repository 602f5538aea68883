import type { Kysely } from 'kysely';
import type { Review, ReviewItem, ReviewListQuery, ReviewPage, ReviewState } from '@mpop/contracts';
import { isUniqueViolation } from '../../db/connect.js';
import type { Executor } from '../../db/executor.js';
import type { Database, ReviewRow } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { canonicalVersion } from './versions.js';
import { type MissingSignatures, signAhead } from './mini-program.service.js';
import { requireNotSuspended, visibleOrgIds } from '../organisations/org-access.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import type { Outbox } from '../webhooks/outbox.js';
import { ReviewRepository, toReview } from './review.repository.js';

type Verb = 'submitted' | 'withdrawn' | 'approved' | 'rejected';

/**
 * The review of package versions: draft → in-review → approved | rejected | withdrawn, and rejected or withdrawn
 * back to in-review. At most one version of a mini program is in review (the database refuses a second). Who may
 * call what is checked by the routes: submit and withdraw by the organisation's developers (and operators),
 * approve and reject by operators only, and never by the one who submitted.
 */
export class ReviewService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly outbox: Outbox,
    /** Told about an approved version, to sign it ahead of its release (mini-program.service.ts signAhead). */
    private readonly signer?: Pick<MissingSignatures, 'prepare'>,
  ) {}

  async submit(miniProgramId: string, asked: string, note: string | undefined, principal: Principal): Promise<Review> {
    const version = canonicalVersion(asked);
    const now = nowIso();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const org = await new OrganisationRepository(trx).forMiniProgram(miniProgramId);
        if (!org) throw notFound(`The mini program ${miniProgramId}`);
        requireNotSuspended(org, 'submit versions for review');
        const repo = new ReviewRepository(trx);
        const review = await this.require(repo, miniProgramId, version);
        const failed = toReview(review).checks.filter((c) => c.outcome === 'fail');
        if (failed.length > 0) {
          throw new AppError(
            'CHECKS_FAILED',
            `Version ${version} failed ${failed.length === 1 ? 'a check' : `${failed.length} checks`}, so it cannot be submitted: ${failed
              .map((c) => `${c.name}: ${c.detail}`)
              .join(' ')} Fix the package and upload it as a new version.`,
          );
        }
        const open = await repo.openVersion(miniProgramId);
        if (open !== undefined && open !== version) throw alreadyOpen(miniProgramId, open);
        await this.move(repo, review, ['draft', 'rejected', 'withdrawn'], {
          state: 'in-review',
          submittedBy: principal.username,
          submittedAt: now,
          decidedBy: null,
          decidedAt: null,
          note: note?.trim() || null,
          reason: null,
        });
        return this.recorded(trx, miniProgramId, version, org.orgId, principal, 'submitted');
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const open = await new ReviewRepository(this.db).openVersion(miniProgramId);
        throw alreadyOpen(miniProgramId, open ?? 'another version');
      }
      throw err;
    }
  }

  withdraw(miniProgramId: string, version: string, principal: Principal): Promise<Review> {
    return this.decide(miniProgramId, version, principal, 'withdrawn', {});
  }

  async approve(miniProgramId: string, version: string, note: string | undefined, principal: Principal): Promise<Review> {
    const review = await this.decide(miniProgramId, version, principal, 'approved', { note: note?.trim() || undefined });
    // It may be released now: its package and binding signatures are made while nobody waits for them.
    if (this.signer) signAhead(this.signer, miniProgramId, canonicalVersion(version));
    return review;
  }

  reject(miniProgramId: string, version: string, reason: string, principal: Principal): Promise<Review> {
    return this.decide(miniProgramId, version, principal, 'rejected', { reason: reason.trim() });
  }

  /** The review queue: platform roles see every organisation's reviews, members their own. */
  async list(query: ReviewListQuery, principal: Principal): Promise<ReviewPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const repo = new ReviewRepository(this.db);
    const filter = { ...query, orgIds: visibleOrgIds(principal) };
    const [total, rows] = await Promise.all([repo.count(filter), repo.list(filter, (page - 1) * pageSize, pageSize)]);
    const items: ReviewItem[] = rows.map((r) => ({
      miniProgramId: r.miniProgramId,
      name: r.name,
      orgId: r.orgId,
      version: r.version,
      review: toReview(r),
    }));
    return { items, total, page, pageSize };
  }

  /** Ends an open review: withdrawn by its side, approved or rejected by an operator who did not submit it. */
  private async decide(
    miniProgramId: string,
    asked: string,
    principal: Principal,
    to: Exclude<ReviewState, 'draft' | 'in-review'>,
    fields: { note?: string; reason?: string },
  ): Promise<Review> {
    const version = canonicalVersion(asked);
    return this.db.transaction().execute(async (trx) => {
      const org = await new OrganisationRepository(trx).forMiniProgram(miniProgramId);
      if (!org) throw notFound(`The mini program ${miniProgramId}`);
      const repo = new ReviewRepository(trx);
      const review = await this.require(repo, miniProgramId, version);
      if (to !== 'withdrawn' && review.state === 'in-review' && review.submittedBy?.toLowerCase() === principal.username.toLowerCase()) {
        throw new AppError('SELF_APPROVAL', `You submitted version ${version} for review, so another operator must decide on it.`);
      }
      const decision = to === 'withdrawn' ? {} : { decidedBy: principal.username, decidedAt: nowIso() };
      await this.move(repo, review, ['in-review'], {
        state: to,
        ...decision,
        ...(fields.note !== undefined ? { note: fields.note } : {}),
        ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
      });
      return this.recorded(trx, miniProgramId, version, org.orgId, principal, to, fields.reason ? { reason: fields.reason } : {});
    });
  }

  private async require(repo: ReviewRepository, miniProgramId: string, version: string): Promise<ReviewRow> {
    const review = await repo.find(miniProgramId, version);
    if (!review) throw notFound(`Version ${version} of the mini program ${miniProgramId}`);
    return review;
  }

  private async move(
    repo: ReviewRepository,
    review: ReviewRow,
    from: ReviewState[],
    to: Parameters<ReviewRepository['transition']>[3],
  ): Promise<void> {
    if (!from.includes(review.state) || !(await repo.transition(review.miniProgramId, review.version, from, to, nowIso()))) {
      const hint =
        to.state === 'in-review' && review.state === 'in-review'
          ? ' It is already in review.'
          : to.state === 'in-review'
            ? ' An approved version is final; upload a new version to change it.'
            : ' Only a version in review can be decided or withdrawn.';
      throw new AppError('INVALID_TRANSITION', `Version ${review.version} is ${review.state}, so it cannot become ${to.state}.${hint}`);
    }
  }

  /** Reads the review back, and records the audit event and the webhook event (review.submitted|approved|rejected). */
  private async recorded(
    trx: Executor,
    miniProgramId: string,
    version: string,
    orgId: string,
    principal: Principal,
    verb: Verb,
    extra: Record<string, unknown> = {},
  ): Promise<Review> {
    const review = toReview((await new ReviewRepository(trx).find(miniProgramId, version))!);
    await new AuditRepository(trx).record({
      actor: principal.actor,
      action: `review.${verb}`,
      target: `mini-program:${miniProgramId}`,
      details: { version, ...extra },
    });
    if (verb !== 'withdrawn') await this.outbox.record(trx, `review.${verb}`, { miniProgramId, orgId, version, review });
    return review;
  }
}

const alreadyOpen = (miniProgramId: string, version: string) =>
  new AppError(
    'REVIEW_ALREADY_OPEN',
    `Version ${version} of the mini program ${miniProgramId} is in review; wait for its decision or withdraw it before submitting another.`,
  );
