import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Input, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined, SyncOutlined } from '@ant-design/icons';
import type { HostApp, HostAppList } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { AddAppModal } from './AddAppModal';
import { BasicInfoModal } from './BasicInfoModal';
import { DevConfigModal } from './DevConfigModal';
import { SyncModal } from './SyncModal';
import { ViewDevConfigModal } from './ViewDevConfigModal';
import { AuthorizedMiniProgramsModal } from './AuthorizedMiniProgramsModal';

/** App Management > Host App: query, Add App, sync, and the Operation column of the mPaaS page. */
export function HostAppPage() {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(10);
  const [data, setData] = useState<HostAppList>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [adding, setAdding] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [info, setInfo] = useState<HostApp>();
  const [configuring, setConfiguring] = useState<HostApp>();
  const [viewing, setViewing] = useState<HostApp>();
  const [authorizing, setAuthorizing] = useState<HostApp>();

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      setData(await api.listHostApps({ query: applied || undefined, page, pageSize }));
    } catch (err) {
      setError(err instanceof ApiError ? err.problem.detail : String(err));
    } finally {
      setLoading(false);
    }
  }, [applied, page, pageSize]);
  useEffect(() => void load(), [load]);

  const search = (value: string) => {
    setPage(1);
    setApplied(value.trim());
  };

  const confirmDelete = (app: HostApp) => {
    modal.confirm({
      title: t('deleteTitle', { name: app.name }),
      content: t('deleteContent', { appId: app.appId, workspaceId: app.workspaceId }),
      okText: t('confirm'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api.deleteHostApp(app.workspaceId, app.appId);
          void message.success(t('deleted', { name: app.name }));
          await load();
        } catch (err) {
          void message.error(err instanceof ApiError ? err.problem.detail : String(err));
        }
      },
    });
  };

  const setEnabled = async (app: HostApp, enabled: boolean) => {
    try {
      await api.updateHostApp(app.workspaceId, app.appId, { enabled });
      void message.success(t(enabled ? 'enabledDone' : 'disabledDone', { name: app.name }));
      await load();
    } catch (err) {
      void message.error(err instanceof ApiError ? err.problem.detail : String(err));
    }
  };

  const confirmDisable = (app: HostApp) => {
    modal.confirm({
      title: t('disableTitle', { name: app.name }),
      content: t('disableContent'),
      okText: t('disable'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: () => setEnabled(app, false),
    });
  };

  return (
    <Card title={t('hostApp')}>
      <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
        <Input.Search
          aria-label={t('searchPlaceholder')}
          placeholder={t('searchPlaceholder')}
          allowClear
          enterButton={t('search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onSearch={search}
          style={{ width: 360 }}
        />
        <Space>
          <Button icon={<SyncOutlined />} onClick={() => setSyncing(true)}>
            {t('syncApps')}
          </Button>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
            {t('addApp')}
          </Button>
        </Space>
      </Space>
      {error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          message={t('loadFailed')}
          description={error}
          style={{ marginBottom: 16 }}
          action={
            <Button size="small" onClick={() => void load()}>
              {t('retry')}
            </Button>
          }
        />
      )}
      <Table<HostApp>
        rowKey={(a) => `${a.workspaceId}/${a.appId}`}
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: applied ? t('emptySearch', { query: applied }) : t('emptyList') }}
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [10, 20, 50, 100],
          showTotal: (total) => t('total', { total }),
          onChange: (p, s) => {
            setPage(s !== pageSize ? 1 : p);
            setPageSize(s);
          },
        }}
        scroll={{ x: 1080 }}
        columns={[
          {
            title: t('appNameCol'),
            dataIndex: 'name',
            width: 150,
            render: (name: string, app) => (
              <Space size={4} wrap>
                <Typography.Text strong>{name}</Typography.Text>
                {!app.enabled && <Tag color="red">{t('disabledTag')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('appId'),
            dataIndex: 'appId',
            width: 150,
            render: (v: string) => (
              <Typography.Text code style={{ whiteSpace: 'nowrap' }}>
                {v}
              </Typography.Text>
            ),
          },
          { title: t('workspaceId'), dataIndex: 'workspaceId', width: 120 },
          { title: t('tenantId'), dataIndex: 'tenantId', width: 100 },
          {
            title: t('source'),
            dataIndex: 'source',
            width: 80,
            render: (s: string) => (s === 'mpaas' ? <Tag color="blue">{t('sourceMpaas')}</Tag> : <Tag>{t('sourceManual')}</Tag>),
          },
          {
            title: t('devConfigStatus'),
            dataIndex: 'devConfigured',
            width: 120,
            render: (c: boolean) => (c ? <Tag color="green">{t('configured')}</Tag> : <Tag color="orange">{t('notConfigured')}</Tag>),
          },
          { title: t('createdAt'), dataIndex: 'createdAt', width: 120, render: (v: string) => new Date(v).toLocaleString() },
          {
            title: t('operation'),
            key: 'operation',
            width: 240,
            render: (_, app) => (
              <Space direction="vertical" size={0} align="start">
                <Button type="link" size="small" onClick={() => setInfo(app)}>
                  {t('viewBasicInfo')}
                </Button>
                <Button type="link" size="small" onClick={() => setConfiguring(app)}>
                  {t('makeDevConfig')}
                </Button>
                <Button type="link" size="small" disabled={!app.devConfigured} onClick={() => setViewing(app)}>
                  {t('viewDevConfig')}
                </Button>
                <Button type="link" size="small" onClick={() => setAuthorizing(app)}>
                  {t('authorizedMiniPrograms')}
                </Button>
                {app.enabled ? (
                  <Button type="link" size="small" onClick={() => confirmDisable(app)}>
                    {t('disable')}
                  </Button>
                ) : (
                  <Button type="link" size="small" onClick={() => void setEnabled(app, true)}>
                    {t('enable')}
                  </Button>
                )}
                <Button type="link" size="small" danger onClick={() => confirmDelete(app)}>
                  {t('delete')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <AddAppModal
        open={adding}
        onClose={() => setAdding(false)}
        onCreated={() => void load()}
        onGoToDevConfig={(app) => setConfiguring(app)}
      />
      <SyncModal
        open={syncing}
        onClose={() => setSyncing(false)}
        onSynced={(app) => {
          setSyncing(false);
          void message.success(t('synced', { name: app.name }));
          void load();
        }}
      />
      <BasicInfoModal app={info} onClose={() => setInfo(undefined)} />
      <DevConfigModal
        app={configuring}
        onClose={() => setConfiguring(undefined)}
        onSaved={() => {
          const app = configuring;
          setConfiguring(undefined);
          void message.success(t('devConfigSaved'));
          void load();
          if (app) setViewing({ ...app, devConfigured: true });
        }}
      />
      <ViewDevConfigModal
        app={viewing}
        onClose={() => setViewing(undefined)}
        onMake={(app) => {
          setViewing(undefined);
          setConfiguring(app);
        }}
      />
      <AuthorizedMiniProgramsModal app={authorizing} onClose={() => setAuthorizing(undefined)} />
    </Card>
  );
}
