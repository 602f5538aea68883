import type { Executor } from '../../db/executor.js';
import { AppError } from '../../lib/app-error.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import { ReviewRepository } from './review.repository.js';

/**
 * Refuses to release a version that has not passed review when its organisation requires review (409
 * NOT_APPROVED). The built-in `platform` organisation requires none, so installations that upgrade release as before.
 */
export async function requireApprovedForRelease(db: Executor, miniProgramId: string, version: string): Promise<void> {
  const org = await new OrganisationRepository(db).forMiniProgram(miniProgramId);
  if (!org || Number(org.reviewRequired) !== 1) return;
  const review = await new ReviewRepository(db).find(miniProgramId, version);
  if (review?.state === 'approved') return;
  throw new AppError(
    'NOT_APPROVED',
    `Version ${version} is ${review?.state ?? 'not reviewed'}; the organisation "${org.orgId}" requires review, so only an approved version can be released. Submit it for review first.`,
  );
}
