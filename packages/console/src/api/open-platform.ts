/**
 * PROVISIONAL: the open platform's shapes until @mpop/contracts has them (then these re-export the contract's).
 */
import type { Role } from '@mpop/contracts/constants';

export type OrgRole = 'owner' | 'developer';
export interface Membership {
  orgId: string;
  role: OrgRole;
}
export interface Organisation {
  orgId: string;
  name: string;
  reviewRequired: boolean;
  suspended: boolean;
  members: number;
  createdAt: string;
}
export type AssociationState = 'pending' | 'approved' | 'rejected' | 'revoked';
export interface Association {
  associationId: string;
  miniProgramId: string;
  orgId: string;
  workspaceId: string;
  appId: string;
  state: AssociationState;
  note: string | null;
  reason: string | null;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}
export type ReviewState = 'draft' | 'in-review' | 'approved' | 'rejected' | 'withdrawn';
export type CheckOutcome = 'pass' | 'warn' | 'fail';
export interface Review {
  state: ReviewState;
  submittedBy: string | null;
  submittedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
  reason: string | null;
  checks: { name: string; outcome: CheckOutcome; detail: string }[];
  changes: {
    fromVersion: string | null;
    filesAdded: string[];
    filesRemoved: string[];
    filesChanged: string[];
    sizeDelta: number;
    permissionsAdded: string[];
    domainsAdded: string[];
  };
}
export interface ReviewItem {
  miniProgramId: string;
  orgId: string;
  version: string;
  review: Review;
}
export interface OrgMember {
  username: string;
  role: OrgRole;
}
/** The signed-in user with the open platform's fields. */
export interface PlatformUser {
  username: string;
  role: Role | null;
  memberships: Membership[];
}

import type { MiniProgram, Package } from '@mpop/contracts';
/** A package version with its review (the contract's `Package` gains `review`). */
export type ReviewedPackage = Package & { review: Review };
/** A mini program with its organisation (the contract's `MiniProgram` gains `orgId`). */
export type OrgMiniProgram = MiniProgram & { orgId: string };
