import { Tag, Tooltip } from 'antd';
import type { Package } from '@mpop/contracts';
import { useI18n } from '../i18n/i18n';
import '../i18n/release-key-messages';

const short = (fp: string) => `${fp.slice(0, 12)}…`;

/**
 * Whether a version carries a valid release signature: signed (checked at upload, with a key the organisation
 * still lists), signed with a key since removed, or unsigned.
 */
export function ReleaseSignatureTag({ releaseKey }: { releaseKey: Package['releaseKey'] }) {
  const { t } = useI18n();
  if (!releaseKey) {
    return (
      <Tooltip title={t('releaseUnsignedHint')}>
        <Tag>{t('releaseUnsigned')}</Tag>
      </Tooltip>
    );
  }
  const fingerprint = short(releaseKey.fingerprintSha256);
  return releaseKey.registered ? (
    <Tooltip title={t('releaseSignedHint', { fingerprint: releaseKey.fingerprintSha256 })}>
      <Tag color="green">{`${t('releaseSigned')} · ${fingerprint}`}</Tag>
    </Tooltip>
  ) : (
    <Tooltip title={t('releaseKeyGoneHint', { fingerprint: releaseKey.fingerprintSha256 })}>
      <Tag color="orange">{`${t('releaseKeyGone')} · ${fingerprint}`}</Tag>
    </Tooltip>
  );
}
