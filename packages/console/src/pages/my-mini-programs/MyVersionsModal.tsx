import { useState } from 'react';
import { Button, Divider, Modal, Tag, Typography } from 'antd';
import { api } from '../../api/endpoints';
import type { MiniProgram, Package } from '@mpop/contracts';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { ListView } from '../../components/ListView';
import { useFeedback } from '../../components/feedback';
import { NoteModal } from '../../components/NoteModal';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { OutcomeTag, ReviewSideBySide, ReviewStateTag, worstOutcome } from '../../components/ReviewDetails';
import { ReleaseSignatureTag } from '../../components/ReleaseSignatureTag';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import '../../i18n/release-key-messages';

const SUBMITTABLE = new Set(['draft', 'rejected', 'withdrawn']);

/**
 * The versions of one of the organisation's mini programs: each with its automatic checks and its review (the
 * reason of a rejection), Submit for Review (with a note) or Withdraw by state, and the checks and the change since
 * the last release of the version picked. A version with a failed check, or while another is in review, cannot be
 * submitted (the server refuses too); neither can anything of a suspended organisation.
 */
export function MyVersionsModal({
  program,
  suspended,
  onClose,
}: {
  program?: MiniProgram;
  /** The organisation is suspended: no submissions. */
  suspended: boolean;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const id = program?.miniProgramId;
  const { data, error, loading, reload } = useRequest(
    (signal) => (id ? api.listPackages(id, signal) : Promise.resolve({ items: [] })),
    [id],
  );
  const versions = data?.items as Package[] | undefined;
  const [picked, setPicked] = useState<string>();
  const [submitting, setSubmitting] = useState<string>();
  const shown = versions?.find((v) => v.version === picked) ?? versions?.[0];
  const openReview = versions?.find((v) => v.review.state === 'in-review');

  const confirmWithdraw = (v: Package) =>
    modal.confirm({
      title: t('withdrawTitle', { version: v.version }),
      content: t('withdrawContent'),
      okText: t('withdraw'),
      cancelText: t('cancel'),
      onOk: async () => {
        if (!id) return;
        try {
          await api.withdrawReview(id, v.version);
          void message.success(t('withdrawnDone', { version: v.version }));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  const operations = (v: Package): Operation[] => {
    const ops: Operation[] = [{ key: 'checks', label: t('checks'), onClick: () => setPicked(v.version) }];
    if (v.review.state === 'in-review') {
      ops.push({ key: 'withdraw', label: t('withdraw'), onClick: () => confirmWithdraw(v) });
    } else if (SUBMITTABLE.has(v.review.state) && v.status !== 'released') {
      const why = suspended
        ? t('suspendedOrgHint')
        : v.review.checks.some((c) => c.outcome === 'fail')
          ? t('checksFailedHint')
          : openReview
            ? t('reviewOpenHint')
            : undefined;
      ops.push({
        key: 'submit',
        label: v.review.state === 'draft' ? t('submitForReview') : t('resubmit'),
        onClick: () => setSubmitting(v.version),
        disabled: Boolean(why),
        tooltip: why,
      });
    }
    return ops;
  };

  return (
    <Modal
      open={Boolean(program)}
      width={1000}
      title={t('versionsOf', { name: program?.name ?? '' })}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <ListView<Package>
        error={error}
        onRetry={reload}
        label={t('versionsOf', { name: program?.name ?? '' })}
        rowKey={(v) => v.version}
        loading={loading}
        rows={versions}
        empty={null}
        columns={[
          {
            key: 'version',
            title: t('version'),
            nowrap: true,
            render: (v) => (
              <>
                <strong>{v.version}</strong>
                {v.status === 'released' && (
                  <Tag color="green" style={{ marginInlineStart: 8 }}>
                    {t('statusReleased')}
                  </Tag>
                )}
              </>
            ),
          },
          { key: 'size', title: t('size'), from: 'lg', nowrap: true, render: (v) => format.bytes(v.size) },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (v) => format.dateTime(v.createdAt) },
          {
            key: 'checks',
            title: t('checks'),
            render: (v) => {
              const worst = worstOutcome(v.review.checks);
              return worst ? <OutcomeTag outcome={worst} /> : null;
            },
          },
          {
            key: 'review',
            title: t('review'),
            render: (v) => (
              <>
                <ReviewStateTag state={v.review.state} />
                {v.review.state === 'rejected' && v.review.reason && (
                  <Typography.Paragraph type="danger" style={{ margin: '4px 0 0', maxWidth: 320 }}>
                    {t('rejectedBecause', { reason: v.review.reason })}
                  </Typography.Paragraph>
                )}
                {v.review.state === 'approved' && v.review.note && (
                  <Typography.Paragraph type="secondary" style={{ margin: '4px 0 0', maxWidth: 320 }}>
                    {t('approvedNote', { note: v.review.note })}
                  </Typography.Paragraph>
                )}
              </>
            ),
          },
          {
            key: 'releaseKey',
            title: t('releaseSignature'),
            from: 'lg',
            render: (v) => <ReleaseSignatureTag releaseKey={v.releaseKey} />,
          },
          { key: 'operation', title: t('operation'), render: (v) => <OperationLinks operations={operations(v)} inline={2} /> },
        ]}
      />
      {shown && (
        <section aria-label={`${t('checks')} · ${shown.version}`}>
          <Divider titlePlacement="start" plain>
            {`${t('version')} ${shown.version}`}
          </Divider>
          <ReviewSideBySide review={shown.review} />
        </section>
      )}
      <NoteModal
        open={Boolean(submitting)}
        title={t('submitTitle', { version: submitting ?? '', name: program?.name ?? '' })}
        label={t('noteOptional')}
        help={t('submitNoteHelp')}
        okText={t('submitForReview')}
        onClose={() => setSubmitting(undefined)}
        onSubmit={async (note) => {
          if (!id || !submitting) return;
          await api.submitReview(id, submitting, note || undefined);
          void message.success(t('submitted', { version: submitting }));
          setSubmitting(undefined);
          reload();
        }}
      />
    </Modal>
  );
}
