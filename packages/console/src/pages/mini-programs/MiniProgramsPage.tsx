import { lazy, useState } from 'react';
import { Button, Empty, Space } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { Link } from 'react-router';
import type { MiniProgram } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { ListView } from '../../components/ListView';
import { NameCell } from '../../components/NameCell';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { ReleasedVersion } from './ReleasedVersion';
import { useUploadDialog } from './use-upload-dialog';

// The dialogs load when first opened: the list is what a visit to this page needs first.
const RegisterModal = lazy(() => import('./RegisterModal').then((m) => ({ default: m.RegisterModal })));
const VersionsModal = lazy(() => import('./VersionsModal').then((m) => ({ default: m.VersionsModal })));
const ReleasesModal = lazy(() => import('./ReleasesModal').then((m) => ({ default: m.ReleasesModal })));

/** Mini programs: register, upload package versions (with progress), release one, see versions and releases. */
export function MiniProgramsPage() {
  const { t } = useI18n();
  const format = useFormat();
  const canChange = useCan()('operator');
  const { message } = useFeedback();
  const list = useListParams({ query: '' });
  const { data, error, loading, reload } = useRequest(
    (signal) => api.listMiniPrograms(signal, { query: list.query || undefined }),
    [list.query],
  );
  // Which organisation each mini program belongs to, by name (a failure only costs the names).
  const orgs = useRequest((signal) => api.listOrganisations(signal), []);
  const orgName = (orgId: string) => orgs.data?.items.find((o) => o.orgId === orgId)?.name ?? orgId;
  const [registering, setRegistering] = useState(false);
  const [versionsOf, setVersionsOf] = useState<MiniProgram>();
  // After an upload, the program's versions: the new one is there, ready to release.
  const upload = useUploadDialog(setVersionsOf);
  const [releasesOf, setReleasesOf] = useState<MiniProgram>();
  const rows = data?.items.slice((list.page - 1) * list.pageSize, list.page * list.pageSize);

  const register = canChange && (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)}>
      {t('registerMiniProgram')}
    </Button>
  );

  return (
    <PagePanel title={t('miniPrograms')} extra={register}>
      <ListView<MiniProgram>
        search={{ label: t('searchMiniPrograms'), query: list.query, onSearch: (query) => list.set({ query }) }}
        error={error}
        onRetry={reload}
        label={t('miniPrograms')}
        rowKey={(m) => m.miniProgramId}
        loading={loading}
        rows={rows}
        empty={
          list.query ? (
            <Empty description={t('miniProgramsNoMatch', { query: list.query })}>
              <Button onClick={() => list.set({ query: '' })}>{t('clearFilters')}</Button>
            </Empty>
          ) : (
            <Empty description={t('miniProgramsEmpty')}>{register}</Empty>
          )
        }
        pagination={list.pager(data?.total ?? data?.items.length ?? 0, (total) => t('miniProgramsTotal', { total }))}
        columns={[
          { key: 'name', title: t('name'), render: (m) => <NameCell name={m.name} /> },
          { key: 'miniProgramId', title: t('miniProgramId'), nowrap: true, render: (m) => <code>{m.miniProgramId}</code> },
          { key: 'org', title: t('organisation'), render: (m) => orgName(m.orgId) },
          { key: 'releasedVersion', title: t('releasedVersion'), render: (m) => <ReleasedVersion program={m} /> },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (m) => format.dateTime(m.createdAt) },
          {
            key: 'operation',
            title: t('operation'),
            // Every action in view (Releases last): the list's main work is here, not behind "More".
            render: (m) => (
              <Space size={0}>
                {canChange && (
                  <Button type="link" size="small" onClick={() => upload.open(m)}>
                    {t('uploadPackage')}
                  </Button>
                )}
                <Button type="link" size="small" onClick={() => setVersionsOf(m)}>
                  {t('versions')}
                </Button>
                <Link to={`/mini-programs/${m.miniProgramId}/adoption`} style={{ padding: '0 7px' }}>
                  {t('adoption')}
                </Link>
                <Button type="link" size="small" onClick={() => setReleasesOf(m)}>
                  {t('releases')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <LazyDialog open={registering}>
        <RegisterModal
          open={registering}
          organisations={orgs.data?.items ?? []}
          onClose={() => setRegistering(false)}
          onDone={(m) => {
            setRegistering(false);
            void message.success(t('registered', { name: m.name, id: m.miniProgramId }));
            reload();
          }}
        />
      </LazyDialog>
      {upload.dialog}
      <LazyDialog open={Boolean(versionsOf)}>
        <VersionsModal
          program={versionsOf}
          onClose={() => {
            setVersionsOf(undefined);
            reload();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(releasesOf)}>
        <ReleasesModal
          program={releasesOf}
          onClose={() => {
            setReleasesOf(undefined);
            reload();
          }}
        />
      </LazyDialog>
    </PagePanel>
  );
}
