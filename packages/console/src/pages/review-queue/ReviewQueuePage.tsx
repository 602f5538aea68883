import { lazy, useState } from 'react';
import { Button, Empty, Select, Space } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { api } from '../../api/endpoints';
import type { ReviewItem, ReviewState } from '@mpop/contracts';
import { useDirectory } from '../../api/use-directory';
import { useRequest } from '../../api/use-request';
import { ListView } from '../../components/ListView';
import { LazyDialog } from '../../components/LazyDialog';
import { OperationLinks } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { OutcomeTag, ReviewStateTag, worstOutcome } from '../../components/ReviewDetails';
import { useListParams } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import type { MessageKey } from '../../i18n/messages';

const ReviewDetailModal = lazy(() => import('./ReviewDetailModal').then((m) => ({ default: m.ReviewDetailModal })));

export const REVIEW_STATES: { value: ReviewState; label: MessageKey }[] = [
  { value: 'in-review', label: 'reviewInReview' },
  { value: 'approved', label: 'reviewApproved' },
  { value: 'rejected', label: 'reviewRejected' },
  { value: 'withdrawn', label: 'reviewWithdrawn' },
];

/**
 * Open Platform > Review Queue: the versions submitted for review (in review by default; the decided ones by
 * state), each opening its checks and its change since the last release, with Approve and Reject for operators.
 */
export function ReviewQueuePage() {
  const { t } = useI18n();
  const format = useFormat();
  const list = useListParams({ state: 'in-review' });
  const directory = useDirectory();
  const { data, error, loading, reload } = useRequest(
    (signal) => api.listReviews({ state: list.state as ReviewState, page: list.page, pageSize: list.pageSize }, signal),
    [list.state, list.page, list.pageSize],
  );
  const [open, setOpen] = useState<ReviewItem>();

  return (
    <PagePanel
      title={t('reviewQueue')}
      extra={
        <Button icon={<ReloadOutlined />} onClick={reload}>
          {t('refresh')}
        </Button>
      }
    >
      <Space style={{ marginBottom: 16 }} wrap>
        <Select<ReviewState>
          id="review-state-filter"
          aria-label={t('reviewStateFilter')}
          value={list.state as ReviewState}
          onChange={(state) => list.set({ state })}
          options={REVIEW_STATES.map((s) => ({ value: s.value, label: t(s.label) }))}
          style={{ width: 200 }}
        />
      </Space>
      <ListView<ReviewItem>
        error={error}
        onRetry={reload}
        label={t('reviewQueue')}
        rowKey={(r) => `${r.miniProgramId}/${r.version}`}
        loading={loading}
        rows={data?.items}
        empty={<Empty description={t('reviewQueueEmpty')} />}
        pagination={list.pager(data?.total ?? 0, (total) => t('totalItems', { total }))}
        columns={[
          {
            key: 'program',
            title: t('miniProgram'),
            render: (r) => (
              <>
                <strong>{r.name}</strong>
                <div>
                  <code>{r.miniProgramId}</code>
                </div>
              </>
            ),
          },
          { key: 'org', title: t('organisation'), render: (r) => directory.orgName(r.orgId) },
          { key: 'version', title: t('version'), nowrap: true, render: (r) => r.version },
          {
            key: 'checks',
            title: t('checks'),
            render: (r) => {
              const worst = worstOutcome(r.review.checks);
              return worst ? <OutcomeTag outcome={worst} /> : null;
            },
          },
          { key: 'state', title: t('status'), render: (r) => <ReviewStateTag state={r.review.state} /> },
          { key: 'submittedBy', title: t('submittedBy'), from: 'xl', render: (r) => r.review.submittedBy },
          {
            key: 'submittedAt',
            title: t('submittedAt'),
            from: 'xl',
            nowrap: true,
            render: (r) => (r.review.submittedAt ? format.dateTime(r.review.submittedAt) : null),
          },
          {
            key: 'operation',
            title: t('operation'),
            render: (r) => <OperationLinks operations={[{ key: 'open', label: t('openReview'), onClick: () => setOpen(r) }]} />,
          },
        ]}
      />
      <LazyDialog open={Boolean(open)}>
        <ReviewDetailModal
          item={open}
          programName={open?.name ?? ''}
          orgName={open ? directory.orgName(open.orgId) : ''}
          onClose={() => setOpen(undefined)}
          onDecided={() => {
            setOpen(undefined);
            reload();
          }}
        />
      </LazyDialog>
    </PagePanel>
  );
}
