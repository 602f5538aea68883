import { Alert, Col, Form, Input, InputNumber, Radio, Row } from 'antd';
import type { AutopilotConfig } from '@mpop/contracts';
import { parseSteps, ratePercent } from './autopilot-plan';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/autopilot-messages';

/** The autopilot as the form holds it: steps as text, the failure rate in percent. */
export interface AutopilotValues {
  steps: string;
  minMinutes: number;
  minDevices: number;
  maxFailurePercent: number;
  onFailure: 'pause' | 'rollback';
}

/** Defaults a careful team can accept as they are: four steps, half an hour and 100 devices each, 2 % failing at most. */
export const AUTOPILOT_DEFAULTS: AutopilotValues = {
  steps: '1, 10, 50, 100',
  minMinutes: 30,
  minDevices: 100,
  maxFailurePercent: 2,
  onFailure: 'pause',
};

/** The body's autopilot from the form's values (undefined while the steps are not valid). */
export function toAutopilot(v: AutopilotValues | undefined): AutopilotConfig | undefined {
  const steps = parseSteps(v?.steps);
  if (!v || !steps) return undefined;
  return {
    steps,
    minMinutes: Number(v.minMinutes),
    minDevices: Number(v.minDevices),
    maxFailureRate: Math.round(Number(v.maxFailurePercent) * 100) / 10_000,
    onFailure: v.onFailure,
  };
}

/** What the autopilot will do, in one sentence. */
export function useAutopilotPlan() {
  const { t } = useI18n();
  return (config: AutopilotConfig) =>
    config.steps.length === 1
      ? t('planOne', { first: config.steps[0] })
      : t('plan', {
          first: config.steps[0],
          rest: config.steps.slice(1).join(', '),
          minutes: config.minMinutes,
          devices: config.minDevices,
          rate: ratePercent(config.maxFailureRate),
          action: t(config.onFailure === 'rollback' ? 'planRollback' : 'planPause'),
        });
}

/** The autopilot's settings in the Release dialog (under the form field `autopilot`), and the sentence of its plan. */
export function AutopilotFields() {
  const { t } = useI18n();
  const plan = useAutopilotPlan();
  const values = Form.useWatch<AutopilotValues | undefined>('autopilot');
  const config = toAutopilot(values);
  return (
    <>
      <Form.Item
        name={['autopilot', 'steps']}
        label={t('autopilotSteps')}
        extra={t('autopilotStepsHelp')}
        rules={[{ validator: async (_, v?: string) => (parseSteps(v) ? undefined : Promise.reject(new Error(t('stepsInvalid')))) }]}
      >
        <Input aria-label={t('autopilotSteps')} />
      </Form.Item>
      <Row gutter={16}>
        <Col span={6}>
          <Form.Item name={['autopilot', 'minMinutes']} label={t('minMinutes')} rules={[{ required: true }]}>
            <InputNumber min={0} max={43_200} precision={0} aria-label={t('minMinutes')} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={['autopilot', 'minDevices']} label={t('minDevices')} rules={[{ required: true }]}>
            <InputNumber min={1} max={1_000_000} precision={0} aria-label={t('minDevices')} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={['autopilot', 'maxFailurePercent']} label={t('maxFailureRate')} rules={[{ required: true }]}>
            <InputNumber min={0} max={100} precision={2} addonAfter="%" aria-label={t('maxFailureRate')} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={['autopilot', 'onFailure']} label={t('onFailure')}>
            <Radio.Group
              aria-label={t('onFailure')}
              options={[
                { value: 'pause', label: t('onFailurePause') },
                { value: 'rollback', label: t('onFailureRollback') },
              ]}
            />
          </Form.Item>
        </Col>
      </Row>
      {config && <Alert type="info" showIcon data-testid="autopilot-plan" message={plan(config)} style={{ marginBottom: 16 }} />}
    </>
  );
}
