import { useState } from 'react';
import { Checkbox, Descriptions, Form, Input, Typography } from 'antd';
import type { CreatedWebhook } from '@mpop/contracts';
import { type WebhookEventType, WebhookEventTypes } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { SecretShownOnceModal } from '../../components/SecretShownOnceModal';
import { useI18n } from '../../i18n/i18n';

interface Values {
  url: string;
  events: WebhookEventType[];
  description?: string;
}

/** "Add Webhook": URL, events, description; then the signing secret, shown once, with Copy. */
export function AddWebhookModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<Values>();
  const [created, setCreated] = useState<CreatedWebhook>();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      const description = v.description?.trim();
      setCreated(await api.createWebhook({ url: v.url.trim(), events: v.events, ...(description ? { description } : {}) }));
      onCreated();
    },
    (err) => place(form, err, ['url', 'events', 'description'] as const),
  );
  const close = () => {
    setCreated(undefined);
    setError(undefined);
    form.resetFields();
    onClose();
  };

  if (created) {
    return (
      <SecretShownOnceModal
        open={open}
        title={t('webhookAdded')}
        warning={t('webhookSecretShownOnce')}
        secret={created.secret}
        label={t('webhookSecret')}
        copyLabel={t('copySecret')}
        testId="webhook-secret"
        onClose={close}
      >
        <Descriptions column={1} size="small" bordered>
          <Descriptions.Item label={t('webhookUrl')}>{created.url}</Descriptions.Item>
          <Descriptions.Item label={t('webhookEvents')}>{created.events.join(', ')}</Descriptions.Item>
        </Descriptions>
      </SecretShownOnceModal>
    );
  }

  return (
    <FormModal open={open} title={t('addWebhook')} onCancel={close} onOk={submit} busy={busy} error={error} width={640}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ events: [] }}>
        <Form.Item
          label={t('webhookUrl')}
          name="url"
          extra={t('webhookUrlHelp')}
          rules={[
            { required: true, whitespace: true, message: t('webhookUrlRequired') },
            { max: 2048, message: t('webhookUrlRequired') },
          ]}
        >
          <Input placeholder="https://hooks.example.com/mpop" autoFocus />
        </Form.Item>
        <Form.Item
          label={t('webhookEvents')}
          name="events"
          rules={[{ required: true, type: 'array', min: 1, message: t('webhookEventsRequired') }]}
        >
          <Checkbox.Group style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))', gap: 4 }}>
            {WebhookEventTypes.map((e) => (
              <Checkbox key={e} value={e}>
                <code>{e}</code>
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Form.Item>
        <Form.Item label={t('webhookDescription')} name="description" rules={[{ max: 200, message: t('webhookDescriptionTooLong') }]}>
          <Input />
        </Form.Item>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('webhookSecretShownOnce')}
        </Typography.Paragraph>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
