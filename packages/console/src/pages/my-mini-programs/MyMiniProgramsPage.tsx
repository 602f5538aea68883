import { lazy, useState } from 'react';
import { Alert, Button, Empty, Space, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useDirectory } from '../../api/use-directory';
import type { MiniProgram } from '@mpop/contracts';
import { useMemberships } from '../../auth/use-role';
import { ListView } from '../../components/ListView';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import { useUploadDialog } from '../mini-programs/use-upload-dialog';
import { MyReleaseKeysButton } from './MyReleaseKeysButton';

const CreateMiniProgramModal = lazy(() => import('./CreateMiniProgramModal').then((m) => ({ default: m.CreateMiniProgramModal })));
const MyVersionsModal = lazy(() => import('./MyVersionsModal').then((m) => ({ default: m.MyVersionsModal })));
const RequestAssociationModal = lazy(() =>
  import('../my-associations/RequestAssociationModal').then((m) => ({ default: m.RequestAssociationModal })),
);

/**
 * Developer Backend > My Mini Programs: the mini programs of the user's organisations. Create one in an
 * organisation, upload a version, see each version's checks and review and submit it, and ask for a host app.
 */
export function MyMiniProgramsPage() {
  const { t } = useI18n();
  const format = useFormat();
  const { message } = useFeedback();
  const memberships = useMemberships();
  const directory = useDirectory();
  const list = useListParams({ query: '' });
  const [creating, setCreating] = useState(false);
  const [versionsOf, setVersionsOf] = useState<MiniProgram>();
  // After an upload, the program's versions: the new one is there, ready to submit for review.
  const upload = useUploadDialog(setVersionsOf);
  const [requestingFor, setRequestingFor] = useState<MiniProgram>();

  const mine = new Set(memberships.map((m) => m.orgId));
  // Members see their own organisations only; a platform user who is also a member sees those here too.
  const programs = directory.programs.filter((m) => mine.has(m.orgId));
  const usable = directory.organisations.filter((o) => mine.has(o.orgId) && !o.suspended);
  const suspended = (m: MiniProgram) => Boolean(directory.org(m.orgId)?.suspended);
  const needle = list.query.toLowerCase();
  const matching = programs.filter((m) => !needle || m.name.toLowerCase().includes(needle) || m.miniProgramId.includes(needle));
  const rows = matching.slice((list.page - 1) * list.pageSize, list.page * list.pageSize);

  const operations = (m: MiniProgram): Operation[] => {
    const off = suspended(m) ? { disabled: true, tooltip: t('suspendedOrgHint') } : {};
    return [
      { key: 'versions', label: t('versions'), onClick: () => setVersionsOf(m) },
      { key: 'upload', label: t('uploadPackage'), onClick: () => upload.open(m), ...off },
      { key: 'associate', label: t('requestAssociation'), onClick: () => setRequestingFor(m), ...off },
    ];
  };

  const create = usable.length > 0 && (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
      {t('createMiniProgram')}
    </Button>
  );

  return (
    <PagePanel title={t('myMiniPrograms')}>
      {memberships.length === 0 && <Alert type="info" showIcon message={t('noOrganisations')} style={{ marginBottom: 16 }} />}
      <ListView<MiniProgram>
        search={{ label: t('miniProgramName'), query: list.query, onSearch: (query) => list.set({ query }) }}
        actions={
          <Space>
            <MyReleaseKeysButton orgName={directory.orgName} />
            {create}
          </Space>
        }
        error={directory.error}
        onRetry={directory.reloadPrograms}
        label={t('myMiniPrograms')}
        rowKey={(m) => m.miniProgramId}
        loading={directory.loading}
        rows={rows}
        empty={
          list.query ? (
            <Empty description={t('emptySearch', { query: list.query })} />
          ) : (
            <Empty description={t('myMiniProgramsEmpty')}>{create}</Empty>
          )
        }
        pagination={list.pager(matching.length, (total) => t('totalItems', { total }))}
        columns={[
          {
            key: 'name',
            title: t('name'),
            render: (m) => (
              <>
                <strong>{m.name}</strong>
                <div>
                  <code>{m.miniProgramId}</code>
                </div>
              </>
            ),
          },
          {
            key: 'org',
            title: t('organisation'),
            render: (m) => (
              <>
                {directory.orgName(m.orgId)}
                {suspended(m) && (
                  <Tag color="red" style={{ marginInlineStart: 8 }}>
                    {t('suspendedTag')}
                  </Tag>
                )}
              </>
            ),
          },
          {
            key: 'released',
            title: t('releasedVersion'),
            render: (m) => (m.releasedVersion ? <Tag color="green">{m.releasedVersion}</Tag> : <Tag>{t('none')}</Tag>),
          },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (m) => format.dateTime(m.createdAt) },
          { key: 'operation', title: t('operation'), render: (m) => <OperationLinks operations={operations(m)} /> },
        ]}
      />
      <LazyDialog open={creating}>
        <CreateMiniProgramModal
          open={creating}
          organisations={usable}
          onClose={() => setCreating(false)}
          onDone={(m) => {
            setCreating(false);
            void message.success(t('registered', { name: m.name, id: m.miniProgramId }));
            directory.reloadPrograms();
          }}
        />
      </LazyDialog>
      {upload.dialog}
      <LazyDialog open={Boolean(versionsOf)}>
        <MyVersionsModal
          program={versionsOf}
          suspended={versionsOf ? suspended(versionsOf) : false}
          onClose={() => {
            setVersionsOf(undefined);
            directory.reloadPrograms();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(requestingFor)}>
        <RequestAssociationModal
          open={Boolean(requestingFor)}
          programs={programs}
          miniProgramId={requestingFor?.miniProgramId}
          onClose={() => setRequestingFor(undefined)}
          onDone={() => {
            setRequestingFor(undefined);
            void message.success(t('associationRequested'));
          }}
        />
      </LazyDialog>
    </PagePanel>
  );
}
