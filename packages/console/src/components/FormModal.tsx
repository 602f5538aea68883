import type { ReactNode } from 'react';
import { Modal } from 'antd';
import { ProblemAlert } from '../api/problem';
import { useI18n } from '../i18n/i18n';

/**
 * The console's dialog around a form: Confirm and Cancel in the UI's language, Confirm busy while the request runs,
 * the problem of a refused request above the fields, and the fields forgotten when it closes.
 */
export function FormModal({
  open,
  title,
  onCancel,
  onOk,
  busy,
  error,
  okText,
  width,
  danger,
  children,
}: {
  open: boolean;
  title: ReactNode;
  onCancel: () => void;
  onOk: () => void;
  busy: boolean;
  error: unknown;
  /** The confirming button's label, when Confirm does not say enough (Release). */
  okText?: ReactNode;
  width?: number;
  /** The confirming button is red (Reject). */
  danger?: boolean;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onCancel}
      onOk={onOk}
      width={width}
      okText={okText ?? t('confirm')}
      cancelText={t('cancel')}
      confirmLoading={busy}
      okButtonProps={danger ? { danger: true } : undefined}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      {children}
    </Modal>
  );
}
