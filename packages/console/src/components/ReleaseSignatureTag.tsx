import { Tag, Tooltip } from 'antd';
import type { Package } from '@mpop/contracts';
import { useReleaseKeyText } from '../i18n/release-key-messages';

const short = (fp: string) => `${fp.slice(0, 12)}…`;

/**
 * Whether a version carries a valid release signature: signed (checked at upload, with a key the organisation
 * still lists), signed with a key since removed, or unsigned.
 */
export function ReleaseSignatureTag({ releaseKey }: { releaseKey: Package['releaseKey'] }) {
  const rk = useReleaseKeyText();
  if (!releaseKey) {
    return (
      <Tooltip title={rk('releaseUnsignedHint')}>
        <Tag>{rk('releaseUnsigned')}</Tag>
      </Tooltip>
    );
  }
  const fingerprint = short(releaseKey.fingerprintSha256);
  return releaseKey.registered ? (
    <Tooltip title={rk('releaseSignedHint', { fingerprint: releaseKey.fingerprintSha256 })}>
      <Tag color="green">{`${rk('releaseSigned')} · ${fingerprint}`}</Tag>
    </Tooltip>
  ) : (
    <Tooltip title={rk('releaseKeyGoneHint', { fingerprint: releaseKey.fingerprintSha256 })}>
      <Tag color="orange">{`${rk('releaseKeyGone')} · ${fingerprint}`}</Tag>
    </Tooltip>
  );
}
