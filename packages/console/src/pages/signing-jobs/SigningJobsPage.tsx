import { useEffect } from 'react';
import { Button, Card, Empty, Progress, Table, Tag, Typography } from 'antd';
import { ReloadOutlined, RedoOutlined } from '@ant-design/icons';
import type { SigningJob } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/messages';
import { useFeedback } from '../../components/feedback';

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
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const { message } = useFeedback();
  const notice = useProblemNotice();
  const { data, error, loading, reload } = useRequest((signal) => api.signingJobs(signal), []);
  const running = data?.items.some((j) => j.status === 'running');

  // While a job runs, follow it.
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [running, reload]);

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
    <Card
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
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <Table<SigningJob>
        rowKey="id"
        loading={loading && !data}
        dataSource={data?.items ?? []}
        locale={{ emptyText: loading || error ? ' ' : <Empty description={t('signingJobsEmpty')} /> }}
        pagination={{ hideOnSinglePage: true, pageSize: 50 }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('startedAt'), dataIndex: 'startedAt', render: (v: string) => format.dateTime(v) },
          { title: t('reason'), dataIndex: 'reason' },
          {
            title: t('status'),
            dataIndex: 'status',
            render: (s: SigningJob['status']) => <Tag color={STATUS[s].color}>{t(STATUS[s].label)}</Tag>,
          },
          {
            title: t('progress'),
            key: 'progress',
            render: (_, j) => (
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
            title: t('failureReason'),
            dataIndex: 'error',
            render: (e: string | null) => (e ? <Typography.Text type="danger">{e}</Typography.Text> : null),
          },
          {
            title: t('finishedAt'),
            dataIndex: 'finishedAt',
            responsive: ['xl'],
            render: (v: string | null) => (v ? format.dateTime(v) : null),
          },
        ]}
      />
    </Card>
  );
}
