import { Tag, Tooltip } from 'antd';
import type { MiniProgram } from '@mpop/contracts';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';

/**
 * What a mini program's devices get, as the server states it: nothing; a rollout with its share and what the rest
 * keep ("1.0.0.2 (25 %) · 1.0.0.1 for the rest"); a full release; grey with "no host app" when none is authorised.
 */
export function ReleasedVersion({ program }: { program: Pick<MiniProgram, 'releasedVersion' | 'rollout' | 'authorizedHostApps'> }) {
  const { t } = useI18n();
  const { releasedVersion, rollout, authorizedHostApps } = program;
  if (!releasedVersion) return <Tag>{t('none')}</Tag>;
  const text = rollout
    ? `${t('rolloutShare', { version: rollout.version, percent: rollout.percent })} · ${
        rollout.previousVersion ? t('rolloutRest', { previous: rollout.previousVersion }) : t('rolloutRestNothing')
      }`
    : releasedVersion;
  if (authorizedHostApps === 0) {
    return (
      <Tooltip title={t('noHostAppWarning')}>
        <Tag data-testid="released-version">
          {text} · {t('noHostApp')}
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
