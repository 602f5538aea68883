import type { ReactNode } from 'react';
import { Alert, Button, Input, Modal, Space } from 'antd';
import { CopyButton } from './CopyField';
import { useI18n } from '../i18n/i18n';

/**
 * A secret the server shows once (an API token, a webhook's signing secret): the whole of it, wrapped where needed
 * so nothing hides behind the end of a one-line field, a Copy button, and the warning that it cannot be seen again.
 * The dialog closes only by its button (not by a click beside it), and what was created is described below.
 */
export function SecretShownOnceModal({
  open,
  title,
  warning,
  secret,
  label,
  copyLabel,
  testId,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  /** Why it is shown once and where to keep it. */
  warning: string;
  secret: string;
  /** What the secret is, for screen readers. */
  label: string;
  copyLabel: string;
  testId?: string;
  onClose: () => void;
  /** What was created (name, role, expiry). */
  children?: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      destroyOnHidden
      maskClosable={false}
      footer={
        <Button type="primary" onClick={onClose}>
          {t('close')}
        </Button>
      }
    >
      <Alert type="warning" showIcon message={warning} style={{ marginBottom: 16 }} />
      {/* No autoSize: its measuring copy would keep the secret in the page after the dialog closes. */}
      <Space direction="vertical" style={{ width: '100%', marginBottom: 16 }}>
        <Input.TextArea
          readOnly
          value={secret}
          aria-label={label}
          data-testid={testId}
          rows={Math.min(4, Math.max(2, Math.ceil(secret.length / 56)))}
          style={{ fontFamily: 'monospace', wordBreak: 'break-all', resize: 'none' }}
        />
        <CopyButton value={secret} label={copyLabel} showLabel />
      </Space>
      {children}
    </Modal>
  );
}
