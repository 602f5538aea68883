import type { ReactNode } from 'react';
import { Button, Empty, Modal } from 'antd';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { type RequestState, useRequest } from '../../api/use-request';
import { useCan, useMemberships } from '../../auth/use-role';
import { type Column, DataTable } from '../../components/DataTable';
import { useFeedback } from '../../components/feedback';
import { useI18n } from '../../i18n/i18n';

/** One organisation's list as its dialog holds it: the load, who may change it, and the changes made from a row. */
export interface OrganisationList<T> extends RequestState<{ items: T[] }> {
  /** Admins and the organisation's owners (the server decides again). */
  canManage: boolean;
  /** Runs a change, says `done` and reloads the list; a refusal shows as a notice. */
  act: (change: () => Promise<unknown>, done: string) => Promise<void>;
  /** Asks first (a danger confirmation whose button says `label`), then removes as `act` does. */
  confirmRemove: (ask: { title: string; content: string; label: string; remove: () => Promise<unknown>; done: string }) => void;
}

/**
 * Loads one organisation's list (its members, its release keys) while the dialog shows an organisation, and the
 * changes made from its rows. What a list holds and which changes it offers stay with each dialog.
 */
export function useOrganisationList<T>(
  orgId: string | undefined,
  load: (orgId: string, signal: AbortSignal) => Promise<{ items: T[] }>,
): OrganisationList<T> {
  const { t } = useI18n();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const isAdmin = useCan()('admin');
  const memberships = useMemberships();
  const request = useRequest((signal) => (orgId ? load(orgId, signal) : Promise.resolve({ items: [] as T[] })), [orgId]);
  const act = async (change: () => Promise<unknown>, done: string) => {
    try {
      await change();
      void message.success(done);
      request.reload();
    } catch (err) {
      notice(err);
    }
  };
  return {
    ...request,
    canManage: isAdmin || memberships.some((m) => m.orgId === orgId && m.role === 'owner'),
    act,
    confirmRemove: ({ title, content, label, remove, done }) =>
      modal.confirm({
        title,
        content,
        okText: label,
        okButtonProps: { danger: true },
        cancelText: t('cancel'),
        onOk: () => act(remove, done),
      }),
  };
}

/**
 * The dialog of an organisation's list: the load problem with Retry, the form that adds one (shown to those who
 * may manage, with its problem above it), then the table, and Close.
 */
export function OrganisationListModal<T>({
  open,
  title,
  width,
  intro,
  list,
  add,
  empty,
  rowKey,
  columns,
  onClose,
}: {
  open: boolean;
  title: string;
  width: number;
  intro?: ReactNode;
  list: OrganisationList<T>;
  add: { form: ReactNode; error: unknown };
  /** What an empty list says. */
  empty: string;
  rowKey: (row: T) => string;
  columns: Column<T>[];
  onClose: () => void;
}) {
  const { t } = useI18n();
  return (
    <Modal
      open={open}
      width={width}
      title={title}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      {intro}
      <ProblemAlert error={list.error} title={t('loadFailed')} onRetry={list.reload} />
      {list.canManage && (
        <>
          <ProblemAlert error={add.error} />
          {add.form}
        </>
      )}
      <DataTable<T>
        label={title}
        rowKey={rowKey}
        loading={list.loading}
        rows={list.data?.items}
        empty={list.error ? null : <Empty description={empty} />}
        columns={columns}
      />
    </Modal>
  );
}
