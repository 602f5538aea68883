import { useEffect, useState } from 'react';
import { Form, Input, Modal, Select, Tag } from 'antd';
import type { HostApp, MpaasApp, MpaasWorkspace } from '@mpop/contracts';
import { NAME_MAX } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { ProblemAlert, usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
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
  const [apps, setApps] = useState<MpaasApp[]>();
  const [workspaces, setWorkspaces] = useState<MpaasWorkspace[]>();
  const [synced, setSynced] = useState<Set<string>>(new Set());
  const [loadError, setLoadError] = useState<unknown>();
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

  useEffect(() => {
    if (!open) return;
    setApps(undefined);
    setWorkspaces(undefined);
    setLoadError(undefined);
    setError(undefined);
    form.resetFields();
    const controller = new AbortController();
    Promise.all([api.mpaasApps(controller.signal), api.mpaasWorkspaces(controller.signal)]).then(
      ([a, w]) => {
        setApps(a.apps);
        setWorkspaces(w.workspaces);
      },
      (err) => !controller.signal.aborted && setLoadError(err),
    );
    return () => controller.abort();
  }, [open, form, setError]);

  // The name field starts as the mPaaS name of the app picked.
  useEffect(() => {
    const a = apps?.find((x) => x.appId === selectedApp);
    if (a) form.setFieldsValue({ name: a.appName });
  }, [selectedApp, apps, form]);

  // Which workspaces already hold the selected app: shown as "already synced" and not selectable.
  useEffect(() => {
    setSynced(new Set());
    if (!selectedApp) return;
    const controller = new AbortController();
    api.listHostApps({ query: selectedApp, pageSize: 100 }, controller.signal).then(
      (list) => setSynced(new Set(list.items.filter((h) => h.appId === selectedApp).map((h) => h.workspaceId))),
      () => undefined,
    );
    return () => controller.abort();
  }, [selectedApp]);

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
