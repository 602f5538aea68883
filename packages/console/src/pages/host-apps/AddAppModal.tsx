import { useState } from 'react';
import { Button, Descriptions, Form, Input, Modal, Result } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { WORKSPACE_ID_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';
import { CopyField } from '../../components/CopyField';

interface Props {
  open: boolean;
  onClose: () => void;
  onCreated: (app: HostApp) => void;
  onGoToDevConfig: (app: HostApp) => void;
}

/** "Add App": App name + workspaceId → Confirm → the generated APPID and Tenant ID, with copy buttons. */
export function AddAppModal({ open, onClose, onCreated, onGoToDevConfig }: Props) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; workspaceId: string }>();
  const [created, setCreated] = useState<HostApp>();
  const place = usePlaceOnFields();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (values) => {
      const app = await api.createHostApp({ name: values.name.trim(), workspaceId: values.workspaceId.trim() });
      setCreated(app);
      onCreated(app);
    },
    (err) => place(form, err, ['name', 'workspaceId'] as const),
  );

  const close = () => {
    setCreated(undefined);
    setError(undefined);
    form.resetFields();
    onClose();
  };

  if (created) {
    return (
      <Modal
        open={open}
        title={t('addApp')}
        onCancel={close}
        destroyOnHidden
        footer={[
          <Button key="close" onClick={close}>
            {t('close')}
          </Button>,
          <Button
            key="go"
            type="primary"
            onClick={() => {
              const app = created;
              close();
              onGoToDevConfig(app);
            }}
          >
            {t('goToDevConfig')}
          </Button>,
        ]}
      >
        <Result status="success" title={t('appCreated')} subTitle={t('appCreatedHint')} style={{ padding: 16 }} />
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('appName')}>{created.name}</Descriptions.Item>
          <Descriptions.Item label={t('workspaceId')}>{created.workspaceId}</Descriptions.Item>
          <Descriptions.Item label={t('appId')}>
            <CopyField value={created.appId} copyLabel={t('copyAppId')} testId="created-app-id" />
          </Descriptions.Item>
          <Descriptions.Item label={t('tenantId')}>
            <CopyField value={created.tenantId} copyLabel={t('copyTenantId')} testId="created-tenant-id" />
          </Descriptions.Item>
        </Descriptions>
      </Modal>
    );
  }

  return (
    <FormModal open={open} title={t('addApp')} onCancel={close} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ workspaceId: 'default' }}>
        <Form.Item
          label={t('appName')}
          name="name"
          rules={[
            { required: true, whitespace: true, message: t('appNameRequired') },
            {
              validator: (_, v: string) =>
                (v ?? '').trim().length > 64 ? Promise.reject(new Error(t('appNameTooLong'))) : Promise.resolve(),
            },
          ]}
        >
          <Input autoFocus maxLength={80} />
        </Form.Item>
        <Form.Item
          label={t('workspaceId')}
          name="workspaceId"
          rules={[
            { required: true, whitespace: true, message: t('workspaceIdRequired') },
            { pattern: new RegExp(WORKSPACE_ID_PATTERN), message: t('workspaceIdInvalid') },
          ]}
        >
          <Input />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
