/**
 * The words of the open platform's screens (organisations, association requests, review, the Developer Backend),
 * part of the console's catalogue (messages.ts spreads them in): a key without its Chinese fails the type check.
 */
export const openPlatformEn = {
  // Navigation
  openPlatform: 'Open Platform',
  developerBackend: 'Developer Backend',
  adminBackend: 'Admin Backend',
  organisations: 'Organisations',
  associationRequests: 'Association Requests',
  reviewQueue: 'Review Queue',
  myMiniPrograms: 'My Mini Programs',
  backToMyMiniPrograms: 'Back to My Mini Programs',
  orgRoleOwner: 'Owner',
  orgRoleDeveloper: 'Developer',
  // Organisations
  organisation: 'Organisation',
  orgId: 'Organisation ID',
  // Association requests
  note: 'Note',
  rejectReasonHelp: 'What must change, in a sentence the developer can act on (at most 1,000 characters).',
  // Review
  review: 'Review',
  reviewDraft: 'Draft',
  reviewInReview: 'In review',
  reviewApproved: 'Approved',
  reviewRejected: 'Rejected',
  reviewWithdrawn: 'Withdrawn',
  checks: 'Automatic checks',
  // Developer Backend
  memberOnlyRole: 'Sees only the Developer Backend: the mini programs of the organisations an admin adds them to.',
} as const;

export type OpenPlatformKey = keyof typeof openPlatformEn;

export const openPlatformZh: Record<OpenPlatformKey, string> = {
  openPlatform: '开放平台',
  developerBackend: '开发者后台',
  adminBackend: '管理后台',
  organisations: '组织',
  associationRequests: '关联申请',
  reviewQueue: '审核队列',
  myMiniPrograms: '我的小程序',
  backToMyMiniPrograms: '返回我的小程序',
  orgRoleOwner: '所有者',
  orgRoleDeveloper: '开发者',
  organisation: '组织',
  orgId: '组织 ID',
  note: '备注',
  rejectReasonHelp: '需要修改什么，用开发者能据此行动的一句话说明（最多 1000 个字符）。',
  review: '审核',
  reviewDraft: '草稿',
  reviewInReview: '审核中',
  reviewApproved: '已通过',
  reviewRejected: '已驳回',
  reviewWithdrawn: '已撤回',
  checks: '自动检查',
  memberOnlyRole: '只能看到开发者后台：管理员将其加入的组织的小程序。',
};
