import { Form, Input } from 'antd';
import { RELEASE_SIGNATURE_MAX } from '@mpop/contracts';
import { useI18n } from '../i18n/i18n';
import '../i18n/release-key-messages';

/** The upload form's optional release signature (what `mpop sign` prints), needed once the organisation has a release key. */
export function ReleaseSignatureField({ miniProgramId }: { miniProgramId?: string }) {
  const { t } = useI18n();
  return (
    <Form.Item label={t('releaseSignature')} name="releaseSignature" extra={t('releaseSignatureHelp', { id: miniProgramId ?? '<id>' })}>
      <Input.TextArea
        aria-label={t('releaseSignature')}
        rows={2}
        maxLength={RELEASE_SIGNATURE_MAX}
        spellCheck={false}
        style={{ fontFamily: 'monospace' }}
      />
    </Form.Item>
  );
}
