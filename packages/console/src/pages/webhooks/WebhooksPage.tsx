import { useState } from 'react';
import { Button, Empty, Modal, Space, Tag, Tooltip } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { Webhook, WebhookDelivery } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { ListView } from '../../components/ListView';
import { OperationLinks } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { RequireRole } from '../../layout/RequireRole';
import { AddWebhookModal } from './AddWebhookModal';

/** Administration > Webhooks (admin only). */
export function WebhooksPage() {
  return (
    <RequireRole need="admin">
      <WebhookList />
    </RequireRole>
  );
}

/** Add (the secret shown once), see the last deliveries of each, delete. */
function WebhookList() {
  const { t } = useI18n();
  const format = useFormat();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const { data, error, loading, reload } = useRequest((signal) => api.listWebhooks(signal), []);
  const [adding, setAdding] = useState(false);
  const [viewing, setViewing] = useState<Webhook>();

  const confirmDelete = (w: Webhook) =>
    modal.confirm({
      title: t('deleteWebhookTitle', { url: w.url }),
      content: t('deleteWebhookContent'),
      okText: t('delete'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api.deleteWebhook(w.webhookId);
          void message.success(t('webhookDeleted'));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  const addButton = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
      {t('addWebhook')}
    </Button>
  );

  return (
    <PagePanel title={t('webhooks')} extra={addButton}>
      <ListView<Webhook>
        error={error}
        onRetry={reload}
        label={t('webhooks')}
        rowKey={(w) => w.webhookId}
        loading={loading}
        rows={data?.items}
        empty={<Empty description={t('webhooksEmpty')}>{addButton}</Empty>}
        columns={[
          {
            key: 'url',
            title: t('webhookUrl'),
            render: (w) => (
              <Space direction="vertical" size={0}>
                <strong style={{ wordBreak: 'break-all' }}>{w.url}</strong>
                {w.description && <span style={{ opacity: 0.65 }}>{w.description}</span>}
              </Space>
            ),
          },
          {
            key: 'events',
            title: t('webhookEvents'),
            render: (w) => (
              <Space size={[0, 4]} wrap>
                {w.events.map((e) => (
                  <Tag key={e}>{e}</Tag>
                ))}
              </Space>
            ),
          },
          { key: 'createdBy', title: t('createdBy'), from: 'lg', render: (w) => w.createdBy },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (w) => format.dateTime(w.createdAt) },
          {
            key: 'operation',
            title: t('operation'),
            render: (w) => (
              <OperationLinks
                operations={[
                  { key: 'deliveries', label: t('webhookDeliveries'), onClick: () => setViewing(w) },
                  { key: 'delete', label: t('delete'), danger: true, onClick: () => confirmDelete(w) },
                ]}
              />
            ),
          },
        ]}
      />
      <AddWebhookModal open={adding} onClose={() => setAdding(false)} onCreated={reload} />
      {viewing && <DeliveriesModal webhook={viewing} onClose={() => setViewing(undefined)} />}
    </PagePanel>
  );
}

const STATUS_COLOR: Record<WebhookDelivery['status'], string> = { pending: 'gold', delivered: 'green', failed: 'red' };

/** The last 100 deliveries of one webhook, newest first. */
function DeliveriesModal({ webhook, onClose }: { webhook: Webhook; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const { data, error, loading, reload } = useRequest((signal) => api.webhookDeliveries(webhook.webhookId, signal), [webhook.webhookId]);
  const status = (d: WebhookDelivery) => {
    const tag = <Tag color={STATUS_COLOR[d.status]}>{t(`delivery_${d.status}`)}</Tag>;
    return d.lastError ? <Tooltip title={d.lastError}>{tag}</Tooltip> : tag;
  };
  return (
    <Modal
      open
      width={960}
      title={t('webhookDeliveriesOf', { url: webhook.url })}
      onCancel={onClose}
      destroyOnHidden
      footer={
        <Space>
          <Button onClick={reload}>{t('refresh')}</Button>
          <Button type="primary" onClick={onClose}>
            {t('close')}
          </Button>
        </Space>
      }
    >
      <ListView<WebhookDelivery>
        error={error}
        onRetry={reload}
        label={t('webhookDeliveries')}
        rowKey={(d) => d.deliveryId}
        loading={loading}
        rows={data?.items}
        empty={<Empty description={t('webhookDeliveriesEmpty')} />}
        columns={[
          { key: 'event', title: t('webhookEvent'), render: (d) => <code>{d.eventType}</code> },
          { key: 'status', title: t('status'), render: status },
          { key: 'attempts', title: t('webhookAttempts'), render: (d) => d.attempts },
          { key: 'answer', title: t('webhookLastAnswer'), render: (d) => d.lastResponseStatus ?? '—' },
          {
            key: 'next',
            title: t('webhookNextAttempt'),
            nowrap: true,
            render: (d) => (d.nextAttemptAt ? format.dateTime(d.nextAttemptAt) : '—'),
          },
          { key: 'createdAt', title: t('createdAt'), nowrap: true, render: (d) => format.dateTime(d.createdAt) },
        ]}
      />
    </Modal>
  );
}
