import { useEffect, useState } from 'react';
import { Alert, Form, Modal, Select, Tag } from 'antd';
import type { HostApp, MpaasApp, MpaasWorkspace } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { useFormSubmit } from '../../api/use-form-submit';

interface Props {
  open: boolean;
  onClose: () => void;
  onSynced: (app: HostApp) => void;
}

/** "Sync mPaaS Backend Apps with One Click": pick an mPaaS App and a Workspace, Confirm. */
export function SyncModal({ open, onClose, onSynced }: Props) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ appId: string; workspaceId: string }>();
  const [apps, setApps] = useState<MpaasApp[]>();
  const [workspaces, setWorkspaces] = useState<MpaasWorkspace[]>();
  const [synced, setSynced] = useState<Set<string>>(new Set());
  const [loadError, setLoadError] = useState<string>();
  const { submit, busy, error, setError } = useFormSubmit(form, async (values) => {
    const app = await api.syncHostApp(values);
    form.resetFields();
    onSynced(app);
  });
  const selectedApp = Form.useWatch('appId', form);

  useEffect(() => {
    if (!open) return;
    setApps(undefined);
    setWorkspaces(undefined);
    setLoadError(undefined);
    setError(undefined);
    form.resetFields();
    Promise.all([api.mpaasApps(), api.mpaasWorkspaces()]).then(
      ([a, w]) => {
        setApps(a.apps);
        setWorkspaces(w.workspaces);
      },
      (err) => setLoadError(err instanceof ApiError ? err.problem.detail : String(err)),
    );
  }, [open, form, setError]);

  // Which workspaces already hold the selected app: shown as "already synced" and not selectable.
  useEffect(() => {
    setSynced(new Set());
    if (!selectedApp) return;
    api.listHostApps({ query: selectedApp, pageSize: 100 }).then(
      (list) => setSynced(new Set(list.items.filter((h) => h.appId === selectedApp).map((h) => h.workspaceId))),
      () => undefined,
    );
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
      {loadError && <Alert type="error" showIcon message={loadError} role="alert" style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon message={error} role="alert" style={{ marginBottom: 16 }} />}
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
      </Form>
    </Modal>
  );
}
