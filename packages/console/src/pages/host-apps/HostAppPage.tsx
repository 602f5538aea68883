import { useState } from 'react';
import { Button, Empty, Space, Tag } from 'antd';
import { PlusOutlined, SyncOutlined } from '@ant-design/icons';
import type { HostApp } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { ListView } from '../../components/ListView';
import { NameCell } from '../../components/NameCell';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useFeedback } from '../../components/feedback';
import { type HostAppDialog, HostAppDialogs } from './HostAppDialogs';

/** App Management > Host App: query, Add App, sync, and the Operation column of the mPaaS page. */
export function HostAppPage() {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  // The query and page live in the URL (`?query=&page=&pageSize=`): a reload or a shared link keeps them.
  const list = useListParams({ query: '' });
  const { data, error, loading, reload } = useRequest(
    (signal) => api.listHostApps({ query: list.query || undefined, page: list.page, pageSize: list.pageSize }, signal),
    [list.query, list.page, list.pageSize],
  );
  const [dialog, setDialog] = useState<HostAppDialog>();
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
    { key: 'info', label: t('viewBasicInfo'), onClick: () => setDialog({ kind: 'info', app }) },
    // One exists: the same dialog changes it (the key may be kept), and says so.
    ...(canChange
      ? [
          {
            key: 'make',
            label: t(app.devConfigured ? 'changeDevConfig' : 'makeDevConfig'),
            onClick: () => setDialog({ kind: 'configure', app }),
          },
        ]
      : []),
    {
      key: 'view',
      label: t('viewDevConfig'),
      disabled: !app.devConfigured,
      tooltip: app.devConfigured ? undefined : t('devConfigNotSet'),
      onClick: () => setDialog({ kind: 'view', app }),
    },
    { key: 'mini-programs', label: t('authorizedMiniPrograms'), onClick: () => setDialog({ kind: 'authorize', app }) },
    ...(canChange
      ? [
          { key: 'rename', label: t('rename'), onClick: () => setDialog({ kind: 'rename', app }) },
          app.enabled
            ? { key: 'disable', label: t('disable'), onClick: () => confirmDisable(app) }
            : { key: 'enable', label: t('enable'), onClick: () => void setEnabled(app, true) },
          { key: 'delete', label: t('delete'), danger: true, onClick: () => confirmDelete(app) },
        ]
      : []),
  ];

  const actions = canChange && (
    <Space wrap>
      <Button icon={<SyncOutlined />} onClick={() => setDialog({ kind: 'sync' })}>
        {t('syncApps')}
      </Button>
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'add' })}>
        {t('addApp')}
      </Button>
    </Space>
  );

  return (
    <PagePanel title={t('hostApp')}>
      <ListView<HostApp>
        search={{ label: t('searchPlaceholder'), query: list.query, onSearch: (query) => list.set({ query }) }}
        actions={actions}
        error={error}
        onRetry={reload}
        label={t('hostApp')}
        rowKey={(a) => `${a.workspaceId}/${a.appId}`}
        loading={loading}
        rows={data?.items}
        empty={
          list.query ? (
            <Empty description={t('emptySearch', { query: list.query })}>
              <Button onClick={() => list.set({ query: '' })}>{t('clearFilters')}</Button>
            </Empty>
          ) : (
            <Empty description={t('emptyList')}>{actions}</Empty>
          )
        }
        // A search with many matches answers an estimate (two significant digits): said as such.
        pagination={list.pager(data?.total ?? 0, (total) => t(data?.totalIsEstimate ? 'totalAbout' : 'total', { total }))}
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
      <HostAppDialogs dialog={dialog} onOpen={setDialog} onChanged={reload} />
    </PagePanel>
  );
}
