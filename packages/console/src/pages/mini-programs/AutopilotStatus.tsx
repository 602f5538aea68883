import { Alert, Card, Progress, Space, Tag, Timeline, Typography } from 'antd';
import type { AutopilotDecision, Release } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { ratePercent } from './autopilot-plan';
import { useAutopilotPlan } from './AutopilotFields';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/autopilot-messages';

const DECISION_COLOR: Record<AutopilotDecision, string> = {
  waiting: 'processing',
  advanced: 'blue',
  completed: 'success',
  paused: 'warning',
  'rolled-back': 'error',
};

/** A decision of the autopilot as a tag, in the console's language. */
export function DecisionTag({ decision }: { decision: AutopilotDecision }) {
  const { t } = useI18n();
  return <Tag color={DECISION_COLOR[decision]}>{t(`decision.${decision}`)}</Tag>;
}

/**
 * Where a release's autopilot is (its step, since when, the devices that launched the new version and the failure
 * rate against its limits, read afresh with the release) and every decision it took, with the reason.
 */
export function AutopilotStatus({ release }: { release: Release }) {
  const { t } = useI18n();
  const plan = useAutopilotPlan();
  const format = useFormat();
  const ap = release.autopilot;
  if (!ap) return null;
  const s = ap.status;
  const running = release.state === 'rolling-out' || release.state === 'paused';
  const over = s.failureRate > ap.maxFailureRate;
  return (
    <Card size="small" title={t('title')} data-testid="autopilot-status" extra={<DecisionTag decision={s.decision} />}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">{plan(ap)}</Typography.Text>
        <Typography.Text strong>
          {t('autopilotStatus', {
            step: s.step + 1,
            steps: ap.steps.length,
            percent: ap.steps[s.step] ?? release.percent,
            since: format.dateTime(s.since),
          })}
        </Typography.Text>
        {running && (
          <>
            <Typography.Text>
              {t('figures', {
                devices: format.number(s.devices),
                minDevices: format.number(ap.minDevices),
                rate: ratePercent(s.failureRate),
                max: ratePercent(ap.maxFailureRate),
              })}
            </Typography.Text>
            <Progress
              percent={Math.min(100, Math.round((s.devices / ap.minDevices) * 100))}
              status={over ? 'exception' : 'active'}
              aria-label={t('minDevices')}
            />
          </>
        )}
        {s.decision !== 'waiting' && (
          <Alert type={s.decision === 'paused' || s.decision === 'rolled-back' ? 'warning' : 'info'} message={s.reason} />
        )}
        <Typography.Text strong>{t('decisions')}</Typography.Text>
        {ap.decisions.length === 0 ? (
          <Typography.Text type="secondary">{t('noDecision')}</Typography.Text>
        ) : (
          <Timeline
            items={[...ap.decisions].reverse().map((d) => ({
              key: `${d.at}-${d.decision}`,
              children: (
                <Space direction="vertical" size={0}>
                  <span>
                    <DecisionTag decision={d.decision} /> {format.dateTime(d.at)} ·{' '}
                    {t('decisionLine', { step: d.step + 1, devices: format.number(d.devices), rate: ratePercent(d.failureRate) })}
                  </span>
                  <Typography.Text type="secondary">{d.reason}</Typography.Text>
                </Space>
              ),
            }))}
          />
        )}
      </Space>
    </Card>
  );
}
