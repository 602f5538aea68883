import { useEffect } from 'react';
import { Form, Input, Modal, Select, Tag } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { NAME_MAX } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { ProblemAlert, usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { useRequest } from '../../api/use-request';
import { useI18n } from '../../i18n/i18n';

interface Props {
  open: boolean;
  onClose: () => void;
  onSynced: (app: HostApp) => void;
}

/** "Sync mPaaS Backend Apps with One Click": pick an mPaaS App and a Workspace, Confirm. */
export function SyncModal({ open, onClose, onSynced }: Props) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ appId: string; workspaceId: string; name: string }>();
  const place = usePlaceOnFields();
  const mpaas = useRequest(
    (signal) =>
      Promise.all([api.mpaasApps(signal), api.mpaasWorkspaces(signal)]).then(([a, w]) => ({ apps: a.apps, workspaces: w.workspaces })),
    [open],
    { enabled: open, resetOnChange: true },
  );
  const apps = mpaas.data?.apps;
  const workspaces = mpaas.data?.workspaces;
  const loadError = mpaas.error;
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async ({ appId, workspaceId, name }) => {
      // The mPaaS name as it is unless the operator chose another (a name taken in the workspace is said on the field).
      const mpaasName = apps?.find((a) => a.appId === appId)?.appName;
      const chosen = name?.trim();
      const app = await api.syncHostApp({ appId, workspaceId, ...(chosen && chosen !== mpaasName ? { name: chosen } : {}) });
      form.resetFields();
      onSynced(app);
    },
    (err) => place(form, err, ['name']),
  );
  const selectedApp = Form.useWatch('appId', form);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the form starts over each time the dialog opens
  useEffect(() => {
    if (!open) return;
    setError(undefined);
    form.resetFields();
  }, [open]);
  // The name field starts as the mPaaS name of the app picked.
  useEffect(() => {
    const a = apps?.find((x) => x.appId === selectedApp);
    if (a) form.setFieldsValue({ name: a.appName });
  }, [selectedApp, apps, form]);

  // Which workspaces already hold the selected app: shown as "already synced" and not selectable.
  const holders = useRequest((signal) => api.listHostApps({ query: selectedApp, pageSize: 100 }, signal), [selectedApp], {
    enabled: Boolean(selectedApp),
    resetOnChange: true,
  });
  const synced = new Set(holders.data?.items.filter((h) => h.appId === selectedApp).map((h) => h.workspaceId));
  const loading = !apps && !loadError;
  return (
    <Modal
      open={open}
      title={t('syncApps')}
      onCancel={onClose}
      onOk={submit}
      okText={t('confirm')}
      cancelText={t('cancel')}
      confirmLoading={busy}
      okButtonProps={{ disabled: Boolean(loadError) || loading }}
      destroyOnHidden
    >
      <ProblemAlert error={loadError} />
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical">
        <Form.Item label={t('mpaasApp')} name="appId" rules={[{ required: true, message: t('mpaasAppRequired') }]}>
          <Select
            showSearch
            loading={loading}
            disabled={Boolean(loadError)}
            optionFilterProp="label"
            placeholder={loading ? t('loading') : undefined}
            options={(apps ?? []).map((a) => ({ value: a.appId, label: `${a.appName} (${a.appId})` }))}
          />
        </Form.Item>
        <Form.Item label={t('workspace')} name="workspaceId" rules={[{ required: true, message: t('workspaceRequired') }]}>
          <Select
            showSearch
            loading={loading}
            disabled={Boolean(loadError)}
            optionFilterProp="label"
            placeholder={loading ? t('loading') : undefined}
            options={(workspaces ?? []).map((w) => ({
              value: w.workspaceId,
              disabled: synced.has(w.workspaceId),
              label: `${w.displayName} (${w.workspaceId})${synced.has(w.workspaceId) ? ` · ${t('alreadySynced')}` : ''}`,
            }))}
            optionRender={(o) => (
              <span>
                {o.label}
                {synced.has(String(o.value)) && <Tag style={{ marginLeft: 8 }}>{t('alreadySynced')}</Tag>}
              </span>
            )}
          />
        </Form.Item>
        <Form.Item
          label={t('syncName')}
          name="name"
          extra={t('syncNameHelp')}
          rules={[
            { required: true, whitespace: true, message: t('appNameRequired') },
            { max: NAME_MAX, message: t('appNameTooLong') },
          ]}
        >
          <Input disabled={!selectedApp} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
