import { useEffect } from 'react';
import { Form, Input, Select } from 'antd';
import { api } from '../../api/endpoints';
import { miniProgramNameRules } from '../mini-programs/name-rules';
import type { Organisation } from '@mpop/contracts';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import type { MiniProgram } from '@mpop/contracts';

/** Create a mini program in one of the user's organisations (its ID is generated). */
export function CreateMiniProgramModal({
  open,
  organisations,
  onClose,
  onDone,
}: {
  open: boolean;
  /** The organisations the user may create in (suspended ones are left out). */
  organisations: Organisation[];
  onClose: () => void;
  onDone: (m: MiniProgram) => void;
}) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<{ name: string; orgId: string }>();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => onDone(await api.createMiniProgram({ name: v.name.trim(), orgId: v.orgId })),
    (err) => place(form, err, ['name', 'orgId'] as const),
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: each opening starts empty, in the only organisation if there is one
  useEffect(() => {
    if (!open) return;
    setError(undefined);
    form.resetFields();
    if (organisations.length === 1) form.setFieldsValue({ orgId: organisations[0].orgId });
  }, [open]);
  return (
    <FormModal open={open} title={t('createMiniProgram')} onCancel={onClose} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label={t('organisation')} name="orgId" rules={[{ required: true, message: t('organisationRequired') }]}>
          <Select options={organisations.map((o) => ({ value: o.orgId, label: o.name }))} />
        </Form.Item>
        <Form.Item label={t('miniProgramName')} name="name" rules={miniProgramNameRules(t)}>
          <Input autoComplete="off" autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
