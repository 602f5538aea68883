import { lazy, useEffect, useState } from 'react';
import { Button, Empty, Input, Space, Tag } from 'antd';
import { PlusOutlined, SyncOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router';
import type { HostApp } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { DataTable } from '../../components/DataTable';
import { NameCell } from '../../components/NameCell';
import { LazyDialog } from '../../components/LazyDialog';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useFeedback } from '../../components/feedback';

// The dialogs load when first opened: the list is what a visit to this page needs first.
const AddAppModal = lazy(() => import('./AddAppModal').then((m) => ({ default: m.AddAppModal })));
const AuthorizedMiniProgramsModal = lazy(() =>
  import('./AuthorizedMiniProgramsModal').then((m) => ({ default: m.AuthorizedMiniProgramsModal })),
);
const RenameModal = lazy(() => import('./RenameModal').then((m) => ({ default: m.RenameModal })));
const BasicInfoModal = lazy(() => import('./BasicInfoModal').then((m) => ({ default: m.BasicInfoModal })));
const DevConfigModal = lazy(() => import('./DevConfigModal').then((m) => ({ default: m.DevConfigModal })));
const SyncModal = lazy(() => import('./SyncModal').then((m) => ({ default: m.SyncModal })));
const ViewDevConfigModal = lazy(() => import('./ViewDevConfigModal').then((m) => ({ default: m.ViewDevConfigModal })));

const PAGE_SIZES = [10, 20, 50, 100];

/** The list's query and page live in the URL (`?query=&page=&pageSize=`): a reload or a shared link keeps them. */
function useListParams() {
  const [params, setParams] = useSearchParams();
  const query = params.get('query') ?? '';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const size = Number.parseInt(params.get('pageSize') ?? '', 10);
  const pageSize = PAGE_SIZES.includes(size) ? size : 10;
  const set = (next: { query?: string; page?: number; pageSize?: number }) => {
    const merged = { query, page, pageSize, ...next };
    const out = new URLSearchParams();
    if (merged.query) out.set('query', merged.query);
    if (merged.page > 1) out.set('page', String(merged.page));
    if (merged.pageSize !== 10) out.set('pageSize', String(merged.pageSize));
    setParams(out);
  };
  return { query, page, pageSize, set };
}

/** App Management > Host App: query, Add App, sync, and the Operation column of the mPaaS page. */
export function HostAppPage() {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const list = useListParams();
  const [query, setQuery] = useState(list.query);
  useEffect(() => setQuery(list.query), [list.query]); // back and forward in the browser
  const { data, error, loading, reload } = useRequest(
    (signal) => api.listHostApps({ query: list.query || undefined, page: list.page, pageSize: list.pageSize }, signal),
    [list.query, list.page, list.pageSize],
  );
  const [adding, setAdding] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [info, setInfo] = useState<HostApp>();
  const [configuring, setConfiguring] = useState<HostApp>();
  const [viewing, setViewing] = useState<HostApp>();
  const [authorizing, setAuthorizing] = useState<HostApp>();
  const [renaming, setRenaming] = useState<HostApp>();
  const canChange = can('operator');

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
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });
  };

  const setEnabled = async (app: HostApp, enabled: boolean) => {
    try {
      await api.updateHostApp(app.workspaceId, app.appId, { enabled });
      message.success(t(enabled ? 'enabledDone' : 'disabledDone', { name: app.name }));
      reload();
    } catch (err) {
      notice(err);
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

  const operations = (app: HostApp): Operation[] => [
    { key: 'info', label: t('viewBasicInfo'), onClick: () => setInfo(app) },
    // One exists: the same dialog changes it (the key may be kept), and says so.
    ...(canChange
      ? [{ key: 'make', label: t(app.devConfigured ? 'changeDevConfig' : 'makeDevConfig'), onClick: () => setConfiguring(app) }]
      : []),
    {
      key: 'view',
      label: t('viewDevConfig'),
      disabled: !app.devConfigured,
      tooltip: app.devConfigured ? undefined : t('devConfigNotSet'),
      onClick: () => setViewing(app),
    },
    { key: 'mini-programs', label: t('authorizedMiniPrograms'), onClick: () => setAuthorizing(app) },
    ...(canChange
      ? [
          { key: 'rename', label: t('rename'), onClick: () => setRenaming(app) },
          app.enabled
            ? { key: 'disable', label: t('disable'), onClick: () => confirmDisable(app) }
            : { key: 'enable', label: t('enable'), onClick: () => void setEnabled(app, true) },
          { key: 'delete', label: t('delete'), danger: true, onClick: () => confirmDelete(app) },
        ]
      : []),
  ];

  const actions = canChange && (
    <Space wrap>
      <Button icon={<SyncOutlined />} onClick={() => setSyncing(true)}>
        {t('syncApps')}
      </Button>
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
        {t('addApp')}
      </Button>
    </Space>
  );

  const empty = list.query ? (
    <Empty description={t('emptySearch', { query: list.query })}>
      <Button onClick={() => list.set({ query: '', page: 1 })}>{t('clearFilters')}</Button>
    </Empty>
  ) : (
    <Empty description={t('emptyList')}>{actions}</Empty>
  );

  return (
    <PagePanel title={t('hostApp')}>
      <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
        <Input.Search
          aria-label={t('searchPlaceholder')}
          placeholder={t('searchPlaceholder')}
          allowClear
          enterButton={t('search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onSearch={(value) => list.set({ query: value.trim(), page: 1 })}
          style={{ width: 360, maxWidth: '100%' }}
        />
        {actions}
      </Space>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <DataTable<HostApp>
        label={t('hostApp')}
        rowKey={(a) => `${a.workspaceId}/${a.appId}`}
        loading={loading}
        rows={data?.items}
        empty={error ? null : empty}
        pagination={{
          current: list.page,
          pageSize: list.pageSize,
          total: data?.total ?? 0,
          pageSizeOptions: PAGE_SIZES,
          // A search with many matches answers an estimate (two significant digits): said as such.
          showTotal: (total) => t(data?.totalIsEstimate ? 'totalAbout' : 'total', { total }),
          onChange: (p, s) => list.set({ page: s !== list.pageSize ? 1 : p, pageSize: s }),
        }}
        columns={[
          {
            key: 'name',
            title: t('appNameCol'),
            render: (a) => (
              <NameCell name={a.name} strong>
                {!a.enabled && (
                  <Tag color="red" style={{ marginInlineStart: 8 }}>
                    {t('disabledTag')}
                  </Tag>
                )}
              </NameCell>
            ),
          },
          { key: 'appId', title: t('appId'), nowrap: true, render: (a) => <code>{a.appId}</code> },
          { key: 'workspaceId', title: t('workspaceId'), render: (a) => a.workspaceId },
          { key: 'tenantId', title: t('tenantId'), from: 'xl', render: (a) => a.tenantId },
          {
            key: 'source',
            title: t('source'),
            from: 'xl',
            render: (a) => (a.source === 'mpaas' ? <Tag color="blue">{t('sourceMpaas')}</Tag> : <Tag>{t('sourceManual')}</Tag>),
          },
          {
            key: 'devConfigured',
            title: t('devConfigStatus'),
            render: (a) => (a.devConfigured ? <Tag color="green">{t('configured')}</Tag> : <Tag color="orange">{t('notConfigured')}</Tag>),
          },
          { key: 'createdAt', title: t('createdAt'), from: 'xxl', nowrap: true, render: (a) => format.dateTime(a.createdAt) },
          { key: 'operation', title: t('operation'), fixed: 'right', render: (a) => <OperationLinks operations={operations(a)} /> },
        ]}
      />
      <LazyDialog open={adding}>
        <AddAppModal open={adding} onClose={() => setAdding(false)} onCreated={reload} onGoToDevConfig={(app) => setConfiguring(app)} />
      </LazyDialog>
      <LazyDialog open={syncing}>
        <SyncModal
          open={syncing}
          onClose={() => setSyncing(false)}
          onSynced={(app) => {
            setSyncing(false);
            void message.success(t('synced', { name: app.name }));
            reload();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(info)}>
        <BasicInfoModal app={info} onClose={() => setInfo(undefined)} />
      </LazyDialog>
      <LazyDialog open={Boolean(configuring)}>
        <DevConfigModal
          app={configuring}
          onClose={() => setConfiguring(undefined)}
          onSaved={() => {
            const app = configuring;
            setConfiguring(undefined);
            void message.success(t('devConfigSaved'));
            reload();
            if (app) setViewing({ ...app, devConfigured: true });
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(viewing)}>
        <ViewDevConfigModal
          app={viewing}
          onClose={() => setViewing(undefined)}
          onMake={(app) => {
            setViewing(undefined);
            setConfiguring(app);
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(renaming)}>
        <RenameModal
          app={renaming}
          onClose={() => setRenaming(undefined)}
          onRenamed={(app) => {
            setRenaming(undefined);
            void message.success(t('renamed', { name: app.name }));
            reload();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(authorizing)}>
        <AuthorizedMiniProgramsModal app={authorizing} onClose={() => setAuthorizing(undefined)} />
      </LazyDialog>
    </PagePanel>
  );
}
