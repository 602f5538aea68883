import { useEffect } from 'react';
import { Collapse, Empty, Tag, Typography } from 'antd';
import type { PatchJob } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { DataTable } from '../../components/DataTable';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/patch-messages';
import { fetchPatchJobs } from './patch-jobs-api';

const STATUS: Record<
  PatchJob['status'],
  { label: 'patchQueued' | 'patchRunning' | 'patchDone' | 'patchSkipped' | 'patchFailed'; color: string }
> = {
  queued: { label: 'patchQueued', color: 'default' },
  running: { label: 'patchRunning', color: 'processing' },
  done: { label: 'patchDone', color: 'success' },
  skipped: { label: 'patchSkipped', color: 'warning' },
  failed: { label: 'patchFailed', color: 'error' },
};

/**
 * The patch jobs that releases queued: which versions, whether the patch was kept and how large it is against the
 * package, and why one was not (a warning, never a failed release). Follows jobs still queued or running.
 */
export function PatchJobsTable({ miniProgramId }: { miniProgramId?: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const { data, error, loading, reload } = useRequest(() => fetchPatchJobs(miniProgramId), [miniProgramId]);
  const pending = data?.items.some((j) => j.status === 'queued' || j.status === 'running');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(reload, 2000);
    return () => clearTimeout(timer);
  }, [pending, reload]);

  return (
    <section aria-label={t('patchJobs')}>
      <Typography.Paragraph type="secondary">{t('patchJobsNote')}</Typography.Paragraph>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <DataTable<PatchJob>
        label={t('patchJobs')}
        rowKey={(j) => j.id}
        loading={loading && !data}
        rows={data?.items}
        empty={error ? null : <Empty description={t('patchJobsEmpty')} />}
        columns={[
          { key: 'createdAt', title: t('startedAt'), nowrap: true, render: (j) => format.dateTime(j.createdAt) },
          { key: 'miniProgramId', title: t('miniPrograms'), nowrap: true, render: (j) => j.miniProgramId },
          {
            key: 'versions',
            title: t('patchVersions'),
            nowrap: true,
            render: (j) => `${j.fromVersion} → ${j.toVersion}`,
          },
          { key: 'status', title: t('status'), render: (j) => <Tag color={STATUS[j.status].color}>{t(STATUS[j.status].label)}</Tag> },
          {
            key: 'size',
            title: t('patchSize'),
            nowrap: true,
            render: (j) =>
              j.size !== null && j.fullSize
                ? `${format.bytes(j.size)} (${t('patchShare', { percent: `${Math.round((j.size / j.fullSize) * 1000) / 10}%` })})`
                : null,
          },
          {
            key: 'note',
            title: t('failureReason'),
            render: (j) =>
              j.noteCode ? (
                <Typography.Text type={j.status === 'failed' ? 'danger' : 'warning'}>{t(`patchNote.${j.noteCode}`)}</Typography.Text>
              ) : null,
          },
        ]}
      />
    </section>
  );
}

/**
 * The patch jobs as a section that opens on demand (below the signing jobs): nothing is asked of the server until
 * it is opened.
 */
export function PatchJobsSection() {
  const { t } = useI18n();
  return <Collapse style={{ marginTop: 24 }} items={[{ key: 'patches', label: t('patchJobs'), children: <PatchJobsTable /> }]} />;
}
