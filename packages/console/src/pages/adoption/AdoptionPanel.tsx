import { lazy, Suspense } from 'react';
import { Col, Empty, Row, Skeleton, Statistic, Table, Typography } from 'antd';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { FailuresByReason } from './FailuresByReason';
import { PatchSavings } from './PatchSavings';
import { type AdoptionFilter, failureRate, fetchAdoption, newestFirst, percent, roundedShares } from './adoption-api';

const AdoptionChart = lazy(() => import('./AdoptionChart'));

export interface AdoptionPanelProps extends AdoptionFilter {
  miniProgramId: string;
  /** Leaves out the event counts (for a compact view beside a rollout). */
  compact?: boolean;
}

/**
 * Adoption of a mini program: share of devices per version (chart and table), event counts and failure rate.
 * Reusable wherever a mini program's fleet matters (the adoption page, a release's rollout).
 */
export function AdoptionPanel({ miniProgramId, workspaceId, appId, days = 7, compact }: AdoptionPanelProps) {
  const { t } = useI18n();
  const format = useFormat();
  const { data, error, reload } = useRequest(
    (signal) => fetchAdoption(miniProgramId, { workspaceId, appId, days }, signal),
    [miniProgramId, workspaceId, appId, days],
    { resetOnChange: true },
  );

  if (error) return <ProblemAlert error={error} onRetry={reload} style={{ marginBottom: 0 }} />;
  if (!data) return <Skeleton active />;
  const devices = data.versions.reduce((n, v) => n + v.devices, 0);
  // One order (newest first) and one rounding (summing to 100 %) for the chart and the table.
  const ordered = newestFirst(data.versions);
  const shares = roundedShares(ordered);
  const rows = ordered.map((v, i) => ({ ...v, shareText: shares[i] }));
  return (
    <div data-testid="adoption-panel">
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        <Col xs={12} md={compact ? 12 : 4}>
          <Statistic title={t('adoptionDevices')} value={devices} />
        </Col>
        {!compact && (
          <>
            <Col xs={12} md={4}>
              <Statistic title={t('eventDownload')} value={data.events.download} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('eventVerified')} value={data.events.verified} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('eventLaunch')} value={data.events.launch} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('eventFailure')} value={data.events.failure} />
            </Col>
            <PatchSavings patches={data.patches} />
          </>
        )}
        <Col xs={12} md={compact ? 12 : 4}>
          <Statistic
            title={t('failureRate')}
            value={percent(failureRate(data.events))}
            valueStyle={failureRate(data.events) > 0.05 ? { color: '#cf1322' } : undefined}
          />
        </Col>
      </Row>
      {data.versions.length === 0 ? (
        <Empty description={t('adoptionEmpty', { days })} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={compact ? 24 : 14}>
            <Suspense fallback={<Skeleton active />}>
              <AdoptionChart versions={rows} devicesLabel={t('adoptionShare')} />
            </Suspense>
          </Col>
          <Col xs={24} lg={compact ? 24 : 10}>
            <Table
              size="small"
              rowKey="version"
              pagination={false}
              dataSource={rows}
              columns={[
                { title: t('version'), dataIndex: 'version' },
                { title: t('adoptionDevices'), dataIndex: 'devices', align: 'right' },
                { title: t('adoptionShare'), dataIndex: 'shareText', align: 'right' },
              ]}
            />
            <Typography.Text type="secondary" style={{ display: 'block', marginTop: 8 }}>
              {t('adoptionSince', { since: format.dateTime(data.since) })}
            </Typography.Text>
          </Col>
        </Row>
      )}
      {!compact && <FailuresByReason failures={data.failures ?? []} />}
    </div>
  );
}
