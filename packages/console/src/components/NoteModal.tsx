import { type ReactNode, useEffect } from 'react';
import { Form, Input } from 'antd';
import { useFormSubmit } from '../api/use-form-submit';
import { useI18n } from '../i18n/i18n';
import { FormModal } from './FormModal';

/** The longest reason or note the server takes. */
export const NOTE_MAX = 1000;

/**
 * A decision with words: a rejection's reason (required: the developer acts on it) or an optional note (with a
 * submission, an approval). The text is trimmed; a required one cannot be blank.
 */
export function NoteModal({
  open,
  title,
  label,
  help,
  required = false,
  requiredMessage,
  okText,
  danger,
  children,
  onSubmit,
  onClose,
}: {
  open: boolean;
  title: ReactNode;
  label: string;
  help?: string;
  required?: boolean;
  requiredMessage?: string;
  okText?: ReactNode;
  danger?: boolean;
  /** Shown above the field (what is being decided). */
  children?: ReactNode;
  /** Runs the request; a problem it throws stays in the dialog. */
  onSubmit: (text: string) => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ text?: string }>();
  const { submit, busy, error, setError } = useFormSubmit(form, async (v) => onSubmit(v.text?.trim() ?? ''));
  // biome-ignore lint/correctness/useExhaustiveDependencies: each opening starts empty
  useEffect(() => {
    if (!open) return;
    setError(undefined);
    form.resetFields();
  }, [open]);
  return (
    <FormModal open={open} title={title} onCancel={onClose} onOk={submit} busy={busy} error={error} okText={okText} danger={danger}>
      {children}
      <Form form={form} layout="vertical">
        <Form.Item
          label={label}
          name="text"
          extra={help}
          rules={[
            { required, whitespace: required, message: requiredMessage },
            { max: NOTE_MAX, message: t('rejectReasonHelp') },
          ]}
        >
          <Input.TextArea autoSize={{ minRows: 3, maxRows: 8 }} maxLength={NOTE_MAX} showCount autoFocus />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
