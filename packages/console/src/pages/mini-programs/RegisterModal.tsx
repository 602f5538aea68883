import { Form, Input, Select } from 'antd';
import type { MiniProgram, Organisation } from '@mpop/contracts';
import { PLATFORM_ORG_ID } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';
import { miniProgramNameRules } from './name-rules';

/** Registers a mini program; left without an organisation, it belongs to the platform's own (`platform`). */
export function RegisterModal({
  open,
  organisations,
  onClose,
  onDone,
}: {
  open: boolean;
  organisations: Organisation[];
  onClose: () => void;
  onDone: (m: MiniProgram) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; miniProgramId?: string; orgId?: string }>();
  const { submit, busy, error } = useFormSubmit(form, async (v) => {
    onDone(
      await api.createMiniProgram({
        name: v.name.trim(),
        ...(v.miniProgramId ? { miniProgramId: v.miniProgramId.trim() } : {}),
        ...(v.orgId ? { orgId: v.orgId } : {}),
      }),
    );
    form.resetFields();
  });
  return (
    <FormModal open={open} title={t('registerMiniProgram')} onCancel={onClose} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical">
        <Form.Item label={t('miniProgramName')} name="name" rules={miniProgramNameRules(t)}>
          <Input />
        </Form.Item>
        {organisations.length > 1 && (
          <Form.Item label={t('organisation')} name="orgId">
            <Select
              allowClear
              placeholder={organisations.find((o) => o.orgId === PLATFORM_ORG_ID)?.name ?? PLATFORM_ORG_ID}
              options={organisations.filter((o) => !o.suspended).map((o) => ({ value: o.orgId, label: o.name }))}
            />
          </Form.Item>
        )}
        <Form.Item
          label={t('miniProgramIdOptional')}
          name="miniProgramId"
          extra={t('miniProgramIdHelp')}
          rules={[{ pattern: /^[0-9]{16}$/, message: t('miniProgramIdInvalid') }]}
        >
          <Input />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
