import { lazy, useState } from 'react';
import { Button, Empty, Select, Space } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/endpoints';
import type { Association, AssociationState } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useDirectory } from '../../api/use-directory';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import type { Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useListParams } from '../../components/use-list-params';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import { ASSOCIATION_STATES, AssociationTable, hostAppOf } from '../associations/AssociationTable';

const RequestAssociationModal = lazy(() => import('./RequestAssociationModal').then((m) => ({ default: m.RequestAssociationModal })));

/**
 * Developer Backend > Association Requests: the organisation's requests that its mini programs reach host apps,
 * with their state and an operator's reason for a rejection. Ask for another, or revoke one (pending or approved).
 */
export function MyAssociationsPage() {
  const { t } = useI18n();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const list = useListParams({ state: '' });
  const directory = useDirectory();
  const { data, error, loading, reload } = useRequest(
    (signal) =>
      api.listAssociations(
        { state: (list.state || undefined) as AssociationState | undefined, page: list.page, pageSize: list.pageSize },
        signal,
      ),
    [list.state, list.page, list.pageSize],
  );
  const [requesting, setRequesting] = useState(false);

  const confirmRevoke = (a: Association) =>
    modal.confirm({
      title: t('revokeAssociationTitle', { name: directory.programName(a.miniProgramId), hostApp: hostAppOf(a) }),
      content: t('revokeAssociationContent'),
      okText: t('revoke'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api.revokeAssociation(a.associationId);
          void message.success(t('associationRevoked'));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });
  const operations = (a: Association): Operation[] =>
    a.state === 'pending' || a.state === 'approved'
      ? [{ key: 'revoke', label: t('revoke'), danger: true, onClick: () => confirmRevoke(a) }]
      : [];

  const request = directory.programs.length > 0 && (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setRequesting(true)}>
      {t('requestAssociation')}
    </Button>
  );

  return (
    <PagePanel title={t('associationRequests')} extra={request}>
      <Space style={{ marginBottom: 16 }}>
        <Select<string>
          id="association-state-filter"
          aria-label={t('associationState')}
          value={list.state}
          onChange={(state) => list.set({ state })}
          options={[{ value: '', label: t('allStates') }, ...ASSOCIATION_STATES.map((s) => ({ value: s.value, label: t(s.label) }))]}
          style={{ width: 160 }}
        />
      </Space>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <AssociationTable
        rows={data?.items}
        loading={loading}
        empty={error ? null : <Empty description={list.state ? t('associationsEmpty') : t('myAssociationsEmpty')}>{request}</Empty>}
        pagination={list.pager(data?.total ?? 0, (total) => t('totalItems', { total }))}
        programName={directory.programName}
        orgName={directory.orgName}
        operations={operations}
      />
      <LazyDialog open={requesting}>
        <RequestAssociationModal
          open={requesting}
          programs={directory.programs}
          onClose={() => setRequesting(false)}
          onDone={() => {
            setRequesting(false);
            void message.success(t('associationRequested'));
            reload();
          }}
        />
      </LazyDialog>
    </PagePanel>
  );
}
