import { Tag, Tooltip } from 'antd';
import type { MiniProgram } from '@mpop/contracts';
import { useI18n } from '../../i18n/i18n';
import { useReleaseText } from './release-messages';

/**
 * What a mini program's devices get, as the server states it: nothing; a rollout with its share and what the rest
 * keep ("1.0.0.2 (25 %) · 1.0.0.1 for the rest"); a full release; grey with "no host app" when none is authorised.
 */
export function ReleasedVersion({ program }: { program: Pick<MiniProgram, 'releasedVersion' | 'rollout' | 'authorizedHostApps'> }) {
  const { t } = useI18n();
  const r = useReleaseText();
  const { releasedVersion, rollout, authorizedHostApps } = program;
  if (!releasedVersion) return <Tag>{t('none')}</Tag>;
  const text = rollout
    ? `${r('rolloutShare', { version: rollout.version, percent: rollout.percent })} · ${
        rollout.previousVersion ? r('rolloutRest', { previous: rollout.previousVersion }) : r('rolloutRestNothing')
      }`
    : releasedVersion;
  if (authorizedHostApps === 0) {
    return (
      <Tooltip title={r('noHostAppWarning')}>
        <Tag data-testid="released-version">
          {text} · {r('noHostApp')}
        </Tag>
      </Tooltip>
    );
  }
  return (
    <Tag data-testid="released-version" color={rollout ? (rollout.state === 'paused' ? 'warning' : 'processing') : 'green'}>
      {text}
    </Tag>
  );
}
