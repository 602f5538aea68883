import { useEffect } from 'react';
import { Form, Input, Select } from 'antd';
import { WORKSPACE_ID_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import type { Association, MiniProgram } from '@mpop/contracts';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { NOTE_MAX } from '../../components/NoteModal';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';

/** An APPID as the server takes it in a request. */
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

interface Values {
  miniProgramId: string;
  workspaceId: string;
  appId: string;
  note?: string;
}

/**
 * Ask that a mini program reach a host app (named by its workspaceId and APPID, which the host app's team gives
 * the developer): an operator of the platform approves or rejects the request.
 */
export function RequestAssociationModal({
  open,
  programs,
  miniProgramId,
  onClose,
  onDone,
}: {
  open: boolean;
  /** The mini programs the user may ask for. */
  programs: MiniProgram[];
  /** Picked in advance (asked from a mini program's row). */
  miniProgramId?: string;
  onClose: () => void;
  onDone: (a: Association) => void;
}) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<Values>();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      const note = v.note?.trim();
      onDone(
        await api.requestAssociation(v.miniProgramId, {
          workspaceId: v.workspaceId.trim(),
          appId: v.appId.trim(),
          ...(note ? { note } : {}),
        }),
      );
    },
    (err) => place(form, err, ['workspaceId', 'appId', 'note'] as const),
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: each opening starts from the mini program it was asked for
  useEffect(() => {
    if (!open) return;
    setError(undefined);
    form.resetFields();
    if (miniProgramId) form.setFieldsValue({ miniProgramId });
  }, [open, miniProgramId]);
  return (
    <FormModal open={open} title={t('requestAssociation')} onCancel={onClose} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label={t('miniProgram')} name="miniProgramId" rules={[{ required: true, message: t('miniProgramRequired') }]}>
          <Select
            showSearch
            optionFilterProp="label"
            options={programs.map((m) => ({ value: m.miniProgramId, label: `${m.name} (${m.miniProgramId})` }))}
          />
        </Form.Item>
        <Form.Item
          label={t('workspaceId')}
          name="workspaceId"
          rules={[
            { required: true, whitespace: true, message: t('workspaceIdRequired') },
            { pattern: new RegExp(WORKSPACE_ID_PATTERN), message: t('workspaceIdInvalid') },
          ]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          label={t('appId')}
          name="appId"
          rules={[
            { required: true, whitespace: true, message: t('appIdRequired') },
            { pattern: APP_ID, message: t('appIdInvalid') },
          ]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('noteOptional')} name="note" extra={t('associationNoteHelp')}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} maxLength={NOTE_MAX} showCount />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
