import { useEffect, useState } from 'react';
import { Button, Empty, Input, Select, Space } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import { api } from '../../api/endpoints';
import type { Association, AssociationState } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useDirectory } from '../../api/use-directory';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { NoteModal } from '../../components/NoteModal';
import type { Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import { ASSOCIATION_STATES, AssociationTable, hostAppOf } from './AssociationTable';

const FILTERS = { state: 'pending', miniProgramId: '', workspaceId: '', appId: '' };

/**
 * Open Platform > Association Requests: what organisations ask for (a mini program in a host app), filtered by
 * state (pending first) and by mini program or host app. Operators approve (the host app is authorised at once),
 * reject with a reason the developer reads, or revoke an approved one; viewers only read.
 */
export function AssociationsPage() {
  const { t } = useI18n();
  const canDecide = useCan()('operator');
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const list = useListParams(FILTERS);
  const directory = useDirectory();
  const [search, setSearch] = useState({ miniProgramId: list.miniProgramId, workspaceId: list.workspaceId, appId: list.appId });
  useEffect(
    () => setSearch({ miniProgramId: list.miniProgramId, workspaceId: list.workspaceId, appId: list.appId }),
    [list.miniProgramId, list.workspaceId, list.appId],
  );
  const { data, error, loading, reload } = useRequest(
    (signal) =>
      api.listAssociations(
        {
          state: (list.state || undefined) as AssociationState | undefined,
          miniProgramId: list.miniProgramId || undefined,
          workspaceId: list.workspaceId || undefined,
          appId: list.appId || undefined,
          page: list.page,
          pageSize: list.pageSize,
        },
        signal,
      ),
    [list.state, list.miniProgramId, list.workspaceId, list.appId, list.page, list.pageSize],
  );
  const [rejecting, setRejecting] = useState<Association>();
  const names = (a: Association) => ({ name: directory.programName(a.miniProgramId), hostApp: hostAppOf(a) });

  const run = async (call: () => Promise<unknown>, done: string) => {
    try {
      await call();
      void message.success(done);
      reload();
    } catch (err) {
      notice(err);
    }
  };
  const confirmApprove = (a: Association) =>
    modal.confirm({
      title: t('approveAssociationTitle', names(a)),
      content: t('approveAssociationContent'),
      okText: t('approve'),
      cancelText: t('cancel'),
      onOk: () => run(() => api.approveAssociation(a.associationId), t('associationApproved', names(a))),
    });
  const confirmRevoke = (a: Association) =>
    modal.confirm({
      title: t('revokeAssociationTitle', names(a)),
      content: t('revokeAssociationContent'),
      okText: t('revoke'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: () => run(() => api.revokeAssociation(a.associationId), t('associationRevoked')),
    });

  const operations = (a: Association): Operation[] => {
    if (!canDecide) return [];
    if (a.state === 'pending')
      return [
        { key: 'approve', label: t('approve'), onClick: () => confirmApprove(a) },
        { key: 'reject', label: t('reject'), danger: true, onClick: () => setRejecting(a) },
      ];
    if (a.state === 'approved') return [{ key: 'revoke', label: t('revoke'), danger: true, onClick: () => confirmRevoke(a) }];
    return [];
  };
  const filtered = Boolean(list.miniProgramId || list.workspaceId || list.appId);

  return (
    <PagePanel title={t('associationRequests')}>
      <Space style={{ marginBottom: 16 }} wrap>
        <Select<string>
          id="association-state-filter"
          aria-label={t('associationState')}
          value={list.state}
          onChange={(state) => list.set({ state })}
          options={[{ value: '', label: t('allStates') }, ...ASSOCIATION_STATES.map((s) => ({ value: s.value, label: t(s.label) }))]}
          style={{ width: 160 }}
        />
        <Input
          aria-label={t('filterMiniProgramId')}
          placeholder={t('filterMiniProgramId')}
          allowClear
          value={search.miniProgramId}
          onChange={(e) => setSearch({ ...search, miniProgramId: e.target.value })}
          onPressEnter={() => list.set(trimmed(search))}
          style={{ width: 200 }}
        />
        <Input
          aria-label={t('filterWorkspaceId')}
          placeholder={t('filterWorkspaceId')}
          allowClear
          value={search.workspaceId}
          onChange={(e) => setSearch({ ...search, workspaceId: e.target.value })}
          onPressEnter={() => list.set(trimmed(search))}
          style={{ width: 160 }}
        />
        <Input
          aria-label={t('filterAppId')}
          placeholder={t('filterAppId')}
          allowClear
          value={search.appId}
          onChange={(e) => setSearch({ ...search, appId: e.target.value })}
          onPressEnter={() => list.set(trimmed(search))}
          style={{ width: 200 }}
        />
        <Button type="primary" icon={<SearchOutlined />} onClick={() => list.set(trimmed(search))}>
          {t('search')}
        </Button>
        {filtered && <Button onClick={() => list.set({ miniProgramId: '', workspaceId: '', appId: '' })}>{t('clearFilters')}</Button>}
      </Space>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <AssociationTable
        rows={data?.items}
        loading={loading}
        empty={error ? null : <Empty description={t('associationsEmpty')} />}
        pagination={list.pager(data?.total ?? 0, (total) => t('totalItems', { total }))}
        programName={directory.programName}
        orgName={directory.orgName}
        operations={operations}
      />
      <NoteModal
        open={Boolean(rejecting)}
        title={rejecting ? t('rejectAssociationTitle', names(rejecting)) : ''}
        label={t('rejectReason')}
        help={t('rejectReasonHelp')}
        required
        requiredMessage={t('rejectReasonRequired')}
        okText={t('reject')}
        danger
        onClose={() => setRejecting(undefined)}
        onSubmit={async (reason) => {
          if (!rejecting) return;
          await api.rejectAssociation(rejecting.associationId, reason);
          setRejecting(undefined);
          void message.success(t('associationRejected'));
          reload();
        }}
      />
    </PagePanel>
  );
}

const trimmed = (s: { miniProgramId: string; workspaceId: string; appId: string }) => ({
  miniProgramId: s.miniProgramId.trim(),
  workspaceId: s.workspaceId.trim(),
  appId: s.appId.trim(),
});
