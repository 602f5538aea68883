import { useState } from 'react';
import { Alert, Button, Descriptions, Modal, Space, Tooltip } from 'antd';
import { api } from '../../api/endpoints';
import type { ReviewItem } from '@mpop/contracts';
import { useCan } from '../../auth/use-role';
import { useSession } from '../../auth/use-session';
import { useFeedback } from '../../components/feedback';
import { NoteModal } from '../../components/NoteModal';
import { ReviewSideBySide, ReviewStateTag } from '../../components/ReviewDetails';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';

/**
 * One version in review: who submitted it and why, its checks beside its change since the last release, and the
 * decision (operators and admins): Approve with an optional note, Reject with a required reason. The one who
 * submitted a version cannot approve it (the server refuses too).
 */
export function ReviewDetailModal({
  item,
  programName,
  orgName,
  onClose,
  onDecided,
}: {
  item?: ReviewItem;
  programName: string;
  orgName: string;
  onClose: () => void;
  onDecided: () => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const { message } = useFeedback();
  const { user } = useSession();
  const canDecide = useCan()('operator') && item?.review.state === 'in-review';
  const [deciding, setDeciding] = useState<'approve' | 'reject'>();
  const review = item?.review;
  const own = Boolean(review?.submittedBy && review.submittedBy === user?.username);
  const names = { version: item?.version ?? '', name: programName };

  const footer = (
    <Space>
      <Button onClick={onClose}>{t('close')}</Button>
      {canDecide && (
        <>
          <Button danger onClick={() => setDeciding('reject')}>
            {t('reject')}
          </Button>
          <Tooltip title={own ? t('selfApprovalHint') : undefined}>
            <Button type="primary" disabled={own} onClick={() => setDeciding('approve')}>
              {t('approve')}
            </Button>
          </Tooltip>
        </>
      )}
    </Space>
  );

  return (
    <Modal open={Boolean(item)} width={1000} title={t('reviewTitle', names)} onCancel={onClose} footer={footer} destroyOnHidden>
      {item && review && (
        <>
          <Descriptions
            size="small"
            column={{ xs: 1, lg: 3 }}
            style={{ marginBottom: 16 }}
            items={[
              { key: 'program', label: t('miniProgram'), children: `${programName} (${item.miniProgramId})` },
              { key: 'org', label: t('organisation'), children: orgName },
              { key: 'state', label: t('status'), children: <ReviewStateTag state={review.state} /> },
              { key: 'by', label: t('submittedBy'), children: review.submittedBy ?? '—' },
              { key: 'at', label: t('submittedAt'), children: review.submittedAt ? format.dateTime(review.submittedAt) : '—' },
              { key: 'note', label: t('note'), children: review.note ?? '—' },
            ]}
          />
          {review.state === 'rejected' && review.reason && (
            <Alert type="error" showIcon message={t('rejectedBecause', { reason: review.reason })} style={{ marginBottom: 16 }} />
          )}
          <ReviewSideBySide review={review} />
        </>
      )}
      <NoteModal
        open={deciding === 'approve'}
        title={t('approveReviewTitle', names)}
        label={t('noteOptional')}
        help={t('approveNoteHelp')}
        okText={t('approve')}
        onClose={() => setDeciding(undefined)}
        onSubmit={async (note) => {
          if (!item) return;
          await api.approveReview(item.miniProgramId, item.version, note || undefined);
          setDeciding(undefined);
          void message.success(t('reviewApprovedDone', names));
          onDecided();
        }}
      />
      <NoteModal
        open={deciding === 'reject'}
        title={t('rejectReviewTitle', names)}
        label={t('rejectReason')}
        help={t('rejectReasonHelp')}
        required
        requiredMessage={t('rejectReasonRequired')}
        okText={t('reject')}
        danger
        onClose={() => setDeciding(undefined)}
        onSubmit={async (reason) => {
          if (!item) return;
          await api.rejectReview(item.miniProgramId, item.version, reason);
          setDeciding(undefined);
          void message.success(t('reviewRejectedDone', names));
          onDecided();
        }}
      />
    </Modal>
  );
}
