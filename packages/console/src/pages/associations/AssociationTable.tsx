import type { ReactNode } from 'react';
import { Tag, Typography } from 'antd';
import type { Association, AssociationState } from '@mpop/contracts';
import { DataTable } from '../../components/DataTable';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import type { PagerProps } from '../../components/Pager';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import type { MessageKey } from '../../i18n/messages';

export const ASSOCIATION_STATES: { value: AssociationState; label: MessageKey; color?: string }[] = [
  { value: 'pending', label: 'statePending', color: 'processing' },
  { value: 'approved', label: 'stateApproved', color: 'success' },
  { value: 'rejected', label: 'stateRejected', color: 'error' },
  { value: 'revoked', label: 'stateRevoked' },
];

export function AssociationStateTag({ state }: { state: AssociationState }) {
  const { t } = useI18n();
  const s = ASSOCIATION_STATES.find((x) => x.value === state);
  return <Tag color={s?.color}>{s ? t(s.label) : state}</Tag>;
}

/** `workspaceId / APPID` of the host app a request is for. */
export const hostAppOf = (a: Association) => `${a.workspaceId} / ${a.appId}`;

/**
 * Association requests as a list, the same for operators and members: the mini program, the host app, the state
 * with the rejection's reason, who asked and who decided; the Operation column says what the user may do.
 */
export function AssociationTable({
  rows,
  loading,
  empty,
  pagination,
  programName,
  orgName,
  operations,
}: {
  rows: Association[] | undefined;
  loading: boolean;
  empty: ReactNode;
  pagination: PagerProps;
  programName: (id: string) => string;
  orgName: (id: string) => string;
  operations: (a: Association) => Operation[];
}) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <DataTable<Association>
      label={t('associationRequests')}
      rowKey={(a) => a.associationId}
      loading={loading}
      rows={rows}
      empty={empty}
      pagination={pagination}
      columns={[
        {
          key: 'program',
          title: t('miniProgram'),
          render: (a) => (
            <>
              <strong>{programName(a.miniProgramId)}</strong>
              <div>
                <code>{a.miniProgramId}</code>
              </div>
            </>
          ),
        },
        { key: 'org', title: t('organisation'), from: 'xl', render: (a) => orgName(a.orgId) },
        { key: 'host', title: t('hostAppTarget'), render: (a) => <code>{hostAppOf(a)}</code> },
        {
          key: 'state',
          title: t('associationState'),
          render: (a) => (
            <>
              <AssociationStateTag state={a.state} />
              {a.reason && (
                <Typography.Paragraph type="danger" style={{ margin: '4px 0 0', maxWidth: 280 }} ellipsis={{ rows: 3, tooltip: a.reason }}>
                  {a.reason}
                </Typography.Paragraph>
              )}
            </>
          ),
        },
        {
          key: 'note',
          title: t('note'),
          from: 'lg',
          render: (a) =>
            a.note ? (
              <Typography.Paragraph style={{ margin: 0, maxWidth: 240 }} ellipsis={{ rows: 2, tooltip: a.note }}>
                {a.note}
              </Typography.Paragraph>
            ) : null,
        },
        {
          key: 'requested',
          title: t('requestedBy'),
          render: (a) => (
            <>
              {a.requestedBy}
              <div style={{ whiteSpace: 'nowrap', opacity: 0.65 }}>{format.dateTime(a.requestedAt)}</div>
            </>
          ),
        },
        {
          key: 'decided',
          title: t('decided'),
          from: 'xl',
          render: (a) =>
            a.decidedBy ? (
              <>
                {a.decidedBy}
                {a.decidedAt && <div style={{ whiteSpace: 'nowrap', opacity: 0.65 }}>{format.dateTime(a.decidedAt)}</div>}
              </>
            ) : null,
        },
        { key: 'operation', title: t('operation'), render: (a) => <OperationLinks operations={operations(a)} /> },
      ]}
    />
  );
}
