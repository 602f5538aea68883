import { Button, Descriptions, Progress, Space, Tag, Tooltip } from 'antd';
import type { MiniProgram, Release } from '@mpop/contracts';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { releaseApi, rollbackTarget } from './release-api';
import { ReleaseStateTag, SigningAlert } from './ReleaseStatus';
import { AutopilotStatus } from './AutopilotStatus';

/** The host apps a release reaches, as the Releases view lists them. */
export function useReleaseScope() {
  const { t } = useI18n();
  return (rel: Release) => (rel.hostApps ? rel.hostApps.map((h) => `${h.appId} · ${h.workspaceId}`).join(', ') : t('scopeAllShort'));
}

/**
 * The current release of a mini program: its share as a progress bar, signing, and Raise / Pause / Resume / Roll back
 * / Take down, each confirmed. `history` (newest first) decides what a rollback goes to.
 */
export function CurrentRelease({
  program,
  current,
  history,
  onRaise,
  onChanged,
}: {
  program: MiniProgram;
  current: Release;
  history: Release[];
  onRaise: (release: Release) => void;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const notice = useProblemNotice();
  const { message, modal } = useFeedback();
  const scope = useReleaseScope();
  const fmt = format.dateTime;
  const id = program.miniProgramId;
  const active = current.state === 'rolling-out' || current.state === 'paused';
  const target = rollbackTarget(history);

  const act = (title: string, content: string, run: () => Promise<Release>, done: (res: Release) => string) =>
    modal.confirm({
      title,
      content,
      okText: t('confirm'),
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          void message.success(done(await run()));
        } catch (err) {
          notice(err);
        }
        onChanged();
      },
    });

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Descriptions size="small" column={3} bordered>
        <Descriptions.Item label={t('version')}>
          <Tag>{current.version}</Tag> <ReleaseStateTag release={current} />
        </Descriptions.Item>
        <Descriptions.Item label={t('previousVersion')}>{current.previousVersion ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('hostApps')}>{scope(current)}</Descriptions.Item>
        <Descriptions.Item label={t('percent')} span={2}>
          <Progress
            percent={current.percent}
            format={(p) => `${p} %`}
            status={current.state === 'paused' ? 'normal' : current.state === 'rolling-out' ? 'active' : undefined}
            aria-label={t('percent')}
          />
        </Descriptions.Item>
        <Descriptions.Item label={t('devices')}>{format.number(current.devices)}</Descriptions.Item>
        <Descriptions.Item label={t('mandatory')}>{current.mandatory ? t('yes') : t('no')}</Descriptions.Item>
        <Descriptions.Item label={t('steps')} span={2}>
          {current.steps.length ? current.steps.map((s) => `${fmt(s.at)} → ${s.percent} %`).join(' · ') : '—'}
        </Descriptions.Item>
        {current.note && (
          <Descriptions.Item label={t('note')} span={3}>
            {current.note}
          </Descriptions.Item>
        )}
      </Descriptions>
      <SigningAlert release={current} />
      <AutopilotStatus release={current} />
      <Space wrap>
        <Button type="primary" disabled={!active || current.percent >= 100} onClick={() => onRaise(current)}>
          {t('raise')}
        </Button>
        {current.state === 'paused' ? (
          <Button
            onClick={() =>
              act(
                t('resumeRollout'),
                t('resumeConfirm', { version: current.version }),
                () => releaseApi.update(id, current.releaseId, { paused: false }),
                () => t('resumedDone'),
              )
            }
          >
            {t('resumeRollout')}
          </Button>
        ) : (
          <Button
            disabled={!active}
            onClick={() =>
              act(
                t('pause'),
                t('pauseConfirm', { version: current.version, percent: current.percent }),
                () => releaseApi.update(id, current.releaseId, { paused: true }),
                () => t('pausedDone'),
              )
            }
          >
            {t('pause')}
          </Button>
        )}
        <Tooltip title={target ? undefined : t('nothingToRollBack')}>
          <Button
            danger
            disabled={!target}
            onClick={() =>
              target &&
              act(
                t('rollBackConfirm', { target }),
                t('rollBackSummary', { target, version: current.version }),
                () => releaseApi.rollback(id),
                (res) => t('rolledBack', { version: res.version }),
              )
            }
          >
            {t('rollBack')}
          </Button>
        </Tooltip>
        <Button
          danger
          disabled={current.state === 'taken-down'}
          onClick={() =>
            act(
              t('takeDownConfirm', { name: program.name }),
              t('takeDownSummary', { name: program.name }),
              () => releaseApi.takeDown(id),
              () => t('takenDown', { name: program.name }),
            )
          }
        >
          {t('takeDown')}
        </Button>
      </Space>
    </Space>
  );
}
