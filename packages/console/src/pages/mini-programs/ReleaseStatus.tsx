import { Alert, Progress, Tag } from 'antd';
import type { Release } from '@mpop/contracts';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';

const STATE_COLOR: Record<Release['state'], string> = {
  'rolling-out': 'processing',
  paused: 'warning',
  complete: 'success',
  'rolled-back': 'error',
  superseded: 'default',
  'taken-down': 'error',
};

/** A release's state; never green while its version could not be signed for some host apps. */
export function ReleaseStateTag({ release }: { release: Release }) {
  const { t } = useI18n();
  const live = !['superseded', 'rolled-back', 'taken-down'].includes(release.state);
  const failed = release.signing.state === 'failed' && live;
  // Signed for 0 of 0 host apps is not done: the release reaches no device.
  const nobody = release.signing.total === 0 && live;
  return (
    <Tag color={failed ? 'error' : nobody ? 'default' : STATE_COLOR[release.state]}>
      {t(`releaseState.${release.state}`)}
      {release.state === 'rolling-out' || release.state === 'paused' ? ` (${release.percent} %)` : ''}
      {failed && ` · ${t('signing')} ✕`}
      {nobody && ` · ${t('noHostApp')}`}
    </Tag>
  );
}

/** Signing progress of a release's version for the authorised host apps, with the reason of a failure. */
export function SigningAlert({ release }: { release: Release }) {
  const { t, lang } = useI18n();
  const { signing } = release;
  if (signing.total === 0) return <Alert type="warning" showIcon data-testid="signing-none" message={t('signingNone')} />;
  // The server's reason is an English sentence: in Chinese the alert points to where the jobs say why.
  const reason = lang === 'zh' ? (signing.reason ? t('signingFailedSeeJobs') : '') : (signing.reason ?? '');
  const vars = { done: signing.done, total: signing.total, reason };
  if (signing.state === 'signed') return <Alert type="success" showIcon message={t('signingSigned', vars)} />;
  return (
    <Alert
      type={signing.state === 'failed' ? 'error' : 'info'}
      showIcon
      role={signing.state === 'failed' ? 'alert' : undefined}
      message={t(signing.state === 'failed' ? 'signingFailed' : 'signingPending', vars)}
      description={
        <Progress percent={Math.round((signing.done / signing.total) * 100)} status={signing.state === 'failed' ? 'exception' : 'active'} />
      }
    />
  );
}
