import type { ReactNode } from 'react';
import { Button, Empty, Progress, Tag, Typography } from 'antd';
import { ReloadOutlined, RedoOutlined } from '@ant-design/icons';
import type { SigningJob } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { ListView } from '../../components/ListView';
import { PagePanel } from '../../components/PagePanel';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/signing-messages';
import type { MessageKey } from '../../i18n/messages';
import { useFeedback } from '../../components/feedback';
import { PatchJobsSection } from './PatchJobsTable';

const STATUS: Record<SigningJob['status'], { label: MessageKey; color: string }> = {
  running: { label: 'jobRunning', color: 'processing' },
  done: { label: 'jobDone', color: 'success' },
  failed: { label: 'jobFailed', color: 'error' },
};

/**
 * Administration > Signing Jobs: progress of the signatures made after releases, authorisations and key uploads,
 * failures with their reason, and a retry that signs whatever is still missing (operators and admins).
 */
export function SigningJobsPage() {
  const { t, lang } = useI18n();
  const format = useFormat();
  const can = useCan();
  const { message } = useFeedback();
  const notice = useProblemNotice();
  // While a job runs, follow it.
  const { data, error, loading, reload } = useRequest((signal) => api.signingJobs(signal), [], {
    refreshEvery: (d) => d.items.some((j) => j.status === 'running') && 1000,
  });
  /**
   * Why a job failed: the server's sentence in English; in Chinese, said from its code, never led by English. A code
   * the console does not know (a newer server) is named in a Chinese sentence, the server's English below it.
   */
  const failureText = (j: SigningJob): ReactNode => {
    if (lang !== 'zh') return j.error ?? '';
    const key = `signingFailure.${j.errorCode ?? 'sign-failed'}` as MessageKey;
    const said = t(key, j.errorParams ?? {});
    if (said !== key) return said;
    return (
      <>
        {t('signingFailure.other', { code: String(j.errorCode) })}
        <div lang="en">{j.error}</div>
      </>
    );
  };

  const retry = async () => {
    try {
      const job = await api.retrySigning();
      void message.success(t('retryDone', { done: job.done, total: job.total }));
      reload();
    } catch (err) {
      notice(err);
    }
  };

  return (
    <PagePanel
      title={t('signingJobs')}
      extra={
        <>
          <Button icon={<ReloadOutlined />} onClick={reload} style={{ marginRight: 8 }}>
            {t('refresh')}
          </Button>
          {can('operator') && (
            <Button type="primary" icon={<RedoOutlined />} onClick={() => void retry()}>
              {t('retrySigning')}
            </Button>
          )}
        </>
      }
    >
      <Typography.Paragraph type="secondary">{t('signingJobsNote')}</Typography.Paragraph>
      <ListView<SigningJob>
        error={error}
        onRetry={reload}
        label={t('signingJobs')}
        rowKey={(j) => j.id}
        loading={loading && !data}
        rows={data?.items}
        empty={<Empty description={t('signingJobsEmpty')} />}
        columns={[
          { key: 'startedAt', title: t('startedAt'), nowrap: true, render: (j) => format.dateTime(j.startedAt) },
          { key: 'reason', title: t('reason'), render: (j) => t(`signingReason.${j.reasonCode}`, j.reasonParams) },
          { key: 'status', title: t('status'), render: (j) => <Tag color={STATUS[j.status].color}>{t(STATUS[j.status].label)}</Tag> },
          {
            key: 'progress',
            title: t('progress'),
            render: (j) => (
              <div style={{ minWidth: 160 }}>
                <Progress
                  percent={j.total === 0 ? 100 : Math.round((j.done / j.total) * 100)}
                  size="small"
                  status={j.status === 'failed' ? 'exception' : j.status === 'running' ? 'active' : undefined}
                  format={() => `${format.number(j.done)}/${format.number(j.total)}`}
                />
              </div>
            ),
          },
          {
            key: 'error',
            title: t('failureReason'),
            render: (j) => (j.error ? <Typography.Text type="danger">{failureText(j)}</Typography.Text> : null),
          },
          {
            key: 'finishedAt',
            title: t('finishedAt'),
            from: 'xl',
            nowrap: true,
            render: (j) => (j.finishedAt ? format.dateTime(j.finishedAt) : null),
          },
        ]}
      />
      <PatchJobsSection />
    </PagePanel>
  );
}
