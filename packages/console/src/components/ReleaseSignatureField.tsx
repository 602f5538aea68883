import { Form, Input } from 'antd';
import { RELEASE_SIGNATURE_MAX } from '@mpop/contracts';
import { useReleaseKeyText } from '../i18n/release-key-messages';

/** The upload form's optional release signature (what `mpop sign` prints), needed once the organisation has a release key. */
export function ReleaseSignatureField({ miniProgramId }: { miniProgramId?: string }) {
  const rk = useReleaseKeyText();
  return (
    <Form.Item label={rk('releaseSignature')} name="releaseSignature" extra={rk('releaseSignatureHelp', { id: miniProgramId ?? '<id>' })}>
      <Input.TextArea
        aria-label={rk('releaseSignature')}
        rows={2}
        maxLength={RELEASE_SIGNATURE_MAX}
        spellCheck={false}
        style={{ fontFamily: 'monospace' }}
      />
    </Form.Item>
  );
}
