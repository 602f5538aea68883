import { lazy, useState } from 'react';
import { Button, Empty, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/endpoints';
import type { Organisation } from '@mpop/contracts';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { ListView } from '../../components/ListView';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import '../../i18n/release-key-messages';

const OrganisationModal = lazy(() => import('./OrganisationModal').then((m) => ({ default: m.OrganisationModal })));
const MembersModal = lazy(() => import('./MembersModal').then((m) => ({ default: m.MembersModal })));
const ReleaseKeysModal = lazy(() => import('./ReleaseKeysModal').then((m) => ({ default: m.ReleaseKeysModal })));

/**
 * Open Platform > Organisations: the vendors, partners and teams that build mini programs. Admins create them,
 * rename them, decide whether their versions need review, suspend them, and manage their members; operators and
 * viewers read.
 */
export function OrganisationsPage() {
  const { t } = useI18n();
  const format = useFormat();
  const isAdmin = useCan()('admin');
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const list = useListParams({ query: '' });
  const { data, error, loading, reload } = useRequest((signal) => api.listOrganisations(signal), []);
  const [editing, setEditing] = useState<Organisation | 'new'>();
  const [membersOf, setMembersOf] = useState<Organisation>();
  const [keysOf, setKeysOf] = useState<Organisation>();

  // The list is short (one row per organisation): searched and paged here.
  const needle = list.query.toLowerCase();
  const matching = data?.items.filter((o) => !needle || o.name.toLowerCase().includes(needle) || o.orgId.toLowerCase().includes(needle));
  const rows = matching?.slice((list.page - 1) * list.pageSize, list.page * list.pageSize);

  const update = async (o: Organisation, body: { suspended: boolean }) => {
    try {
      await api.updateOrganisation(o.orgId, body);
      void message.success(t('orgUpdated', { name: o.name }));
      reload();
    } catch (err) {
      notice(err);
    }
  };
  const confirmSuspend = (o: Organisation) =>
    modal.confirm({
      title: t('suspendTitle', { name: o.name }),
      content: t('suspendContent'),
      okText: t('suspend'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: () => update(o, { suspended: true }),
    });

  const operations = (o: Organisation): Operation[] => [
    { key: 'members', label: t('manageMembers'), onClick: () => setMembersOf(o) },
    { key: 'release-keys', label: t('releaseKeys'), onClick: () => setKeysOf(o) },
    ...(isAdmin
      ? [
          { key: 'edit', label: t('edit'), onClick: () => setEditing(o) },
          o.suspended
            ? { key: 'resume', label: t('resume'), onClick: () => void update(o, { suspended: false }) }
            : { key: 'suspend', label: t('suspend'), danger: true, onClick: () => confirmSuspend(o) },
        ]
      : []),
  ];

  const create = isAdmin && (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
      {t('createOrganisation')}
    </Button>
  );

  return (
    <PagePanel title={t('organisations')}>
      <ListView<Organisation>
        search={{ label: t('orgSearchPlaceholder'), query: list.query, onSearch: (query) => list.set({ query }) }}
        actions={create}
        error={error}
        onRetry={reload}
        label={t('organisations')}
        rowKey={(o) => o.orgId}
        loading={loading}
        rows={rows}
        empty={
          list.query ? (
            <Empty description={t('orgsEmptySearch', { query: list.query })}>
              <Button onClick={() => list.set({ query: '' })}>{t('clearFilters')}</Button>
            </Empty>
          ) : (
            <Empty description={t('orgsEmpty')}>{create}</Empty>
          )
        }
        pagination={list.pager(matching?.length ?? 0, (total) => t('totalItems', { total }))}
        columns={[
          {
            key: 'name',
            title: t('name'),
            render: (o) => (
              <>
                <strong>{o.name}</strong>
                {o.suspended && (
                  <Tag color="red" style={{ marginInlineStart: 8 }}>
                    {t('suspendedTag')}
                  </Tag>
                )}
              </>
            ),
          },
          { key: 'orgId', title: t('orgId'), render: (o) => <code>{o.orgId}</code> },
          {
            key: 'review',
            title: t('review'),
            render: (o) => (o.reviewRequired ? <Tag color="blue">{t('reviewRequired')}</Tag> : <Tag>{t('reviewNotRequired')}</Tag>),
          },
          { key: 'members', title: t('membersCount'), render: (o) => format.number(o.members) },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (o) => format.dateTime(o.createdAt) },
          { key: 'operation', title: t('operation'), render: (o) => <OperationLinks operations={operations(o)} /> },
        ]}
      />
      <LazyDialog open={Boolean(editing)}>
        <OrganisationModal
          organisation={editing}
          onClose={() => setEditing(undefined)}
          onDone={(o, created) => {
            setEditing(undefined);
            void message.success(t(created ? 'orgCreated' : 'orgUpdated', { name: o.name }));
            reload();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(membersOf)}>
        <MembersModal
          organisation={membersOf}
          onClose={() => {
            setMembersOf(undefined);
            reload();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(keysOf)}>
        <ReleaseKeysModal organisation={keysOf} onClose={() => setKeysOf(undefined)} />
      </LazyDialog>
    </PagePanel>
  );
}
