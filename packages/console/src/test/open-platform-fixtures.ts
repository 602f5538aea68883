import type { Association, Organisation, Package, Review, ReviewItem } from '@mpop/contracts';

/** Open platform objects as the server sends them, with what a test changes. */
export const review = (over: Partial<Review> = {}): Review => ({
  state: 'draft',
  submittedBy: null,
  submittedAt: null,
  decidedBy: null,
  decidedAt: null,
  note: null,
  reason: null,
  checks: [
    { name: 'package rules', outcome: 'pass', detail: '12 entries, 40 KiB' },
    { name: 'domains', outcome: 'warn', detail: 'declares a new domain: api.coupons.example' },
  ],
  changes: {
    fromVersion: '1.0.0.0',
    filesAdded: ['pages/new/index.js'],
    filesRemoved: ['pages/old/index.js'],
    filesChanged: ['app.json'],
    sizeDelta: 2048,
    permissionsAdded: ['camera'],
    domainsAdded: ['api.coupons.example'],
  },
  ...over,
});

export const reviewItem = (version: string, over: Partial<Review> = {}): ReviewItem => ({
  miniProgramId: '1234567890123456',
  name: 'Coupons',
  orgId: 'acme',
  version,
  review: review({ state: 'in-review', submittedBy: 'dev', submittedAt: '2026-12-01T10:00:00.000Z', note: 'new coupons page', ...over }),
});

export const version = (v: string, over: Partial<Review> = {}, status: 'uploaded' | 'released' = 'uploaded'): Package => ({
  version: v,
  sha256: 'ab'.repeat(32),
  size: 40960,
  mainUrl: '/index.html',
  status,
  platform: null,
  clientVersionMin: null,
  clientVersionMax: null,
  createdAt: '2026-12-01T09:00:00.000Z',
  review: review(over),
  releaseKey: null,
});

export const org = (orgId: string, over: Partial<Organisation> = {}): Organisation => ({
  orgId,
  name: orgId === 'acme' ? 'Acme Vendors' : orgId,
  reviewRequired: true,
  suspended: false,
  members: 2,
  createdAt: '2026-11-30T00:00:00.000Z',
  ...over,
});

export const association = (associationId: string, over: Partial<Association> = {}): Association => ({
  associationId,
  miniProgramId: '1234567890123456',
  orgId: 'acme',
  workspaceId: 'retail',
  appId: 'ALIPUB0123456789',
  state: 'pending',
  note: 'Our coupons for the wallet',
  reason: null,
  requestedBy: 'dev',
  requestedAt: '2026-12-01T10:00:00.000Z',
  decidedBy: null,
  decidedAt: null,
  ...over,
});

export const coupons = {
  miniProgramId: '1234567890123456',
  orgId: 'acme',
  name: 'Coupons',
  releasedVersion: null,
  rollout: null,
  authorizedHostApps: 0,
  createdAt: '2026-11-30T00:00:00.000Z',
  updatedAt: '2026-11-30T00:00:00.000Z',
};

export const page = <T>(items: T[]) => ({ status: 200, body: { items, total: items.length, page: 1, pageSize: 10 } });
export const items = <T>(list: T[]) => ({ status: 200, body: { items: list } });
