import { Col, Statistic } from 'antd';
import type { Adoption } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/patch-messages';

/** What patches saved over the window: downloads rebuilt from a patch, and the bytes they did not transfer. */
export function PatchSavings({ patches }: { patches: Adoption['patches'] | undefined }) {
  const { t } = useI18n();
  const format = useFormat();
  if (!patches) return null; // a server from before patches
  return (
    <>
      <Col xs={12} md={4}>
        <Statistic title={t('patchBytesSaved')} value={format.bytes(patches.bytesSaved)} />
      </Col>
      <Col xs={12} md={4}>
        <Statistic title={t('patchDownloads')} value={patches.downloads} />
      </Col>
    </>
  );
}
