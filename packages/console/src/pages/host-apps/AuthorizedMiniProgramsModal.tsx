import { useEffect, useState } from 'react';
import { Button, Empty, Modal, Select, Space } from 'antd';
import type { AuthorizedMiniProgram, HostApp } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { DataTable } from '../../components/DataTable';
import { useFeedback } from '../../components/feedback';
import { NameCell } from '../../components/NameCell';
import { useI18n } from '../../i18n/i18n';

/** The mini programs a host app may load: authorise and revoke. */
export function AuthorizedMiniProgramsModal({ app, onClose }: { app?: HostApp; onClose: () => void }) {
  const { t } = useI18n();
  const notice = useProblemNotice();
  const { modal, message } = useFeedback();
  const canChange = useCan()('operator');
  const [choice, setChoice] = useState<string>();
  const { data, error, loading, reload } = useRequest(
    (signal) =>
      Promise.all([api.authorizedMiniPrograms(app!.workspaceId, app!.appId, signal), api.listMiniPrograms(signal)]).then(
        ([auth, programs]) => ({ items: auth.items, all: programs.items }),
      ),
    [app],
    { enabled: Boolean(app), resetOnChange: true },
  );
  const items = data?.items;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the choice starts over for another host app
  useEffect(() => setChoice(undefined), [app]);
  const all = data?.all ?? [];

  /** Runs a change, says it worked (or why not), and reloads the list. */
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      void message.success(done);
      reload();
    } catch (err) {
      notice(err);
    }
  };

  const authorised = new Set(items?.map((i) => i.miniProgramId));
  return (
    <Modal
      open={Boolean(app)}
      width={720}
      title={`${t('authorizedMiniPrograms')}${app ? ` · ${app.name}` : ''}`}
      onCancel={onClose}
      destroyOnHidden
      footer={<Button onClick={onClose}>{t('close')}</Button>}
    >
      <ProblemAlert error={error} onRetry={reload} />
      {canChange && (
        <Space style={{ marginBottom: 16 }}>
          <Select
            aria-label={t('miniProgramToAuthorize')}
            style={{ width: 360 }}
            showSearch
            optionFilterProp="label"
            value={choice}
            onChange={setChoice}
            placeholder={t('miniProgram')}
            options={all
              .filter((m) => !authorised.has(m.miniProgramId))
              .map((m) => ({ value: m.miniProgramId, label: `${m.name} (${m.miniProgramId})` }))}
          />
          <Button
            type="primary"
            disabled={!choice || !app}
            onClick={() => {
              const name = all.find((m) => m.miniProgramId === choice)?.name ?? choice;
              if (app && choice)
                void act(
                  () => api.authorize(app.workspaceId, app.appId, choice),
                  t('authorizedDone', { name: name ?? '', app: app.name }),
                ).then(() => setChoice(undefined));
            }}
          >
            {t('authorize')}
          </Button>
        </Space>
      )}
      <DataTable<AuthorizedMiniProgram>
        label={t('authorizedMiniPrograms')}
        rowKey={(m) => m.miniProgramId}
        loading={loading}
        rows={items}
        empty={error ? null : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
        columns={[
          { key: 'name', title: t('miniProgram'), render: (m) => <NameCell name={m.name} maxWidth={200} /> },
          { key: 'miniProgramId', title: t('miniProgramId'), nowrap: true, render: (m) => <code>{m.miniProgramId}</code> },
          { key: 'releasedVersion', title: t('releasedVersion'), render: (m) => m.releasedVersion ?? '—' },
          {
            key: 'operation',
            title: t('operation'),
            hidden: !canChange,
            render: (m) => (
              <Button
                type="link"
                danger
                size="small"
                onClick={() =>
                  app &&
                  modal.confirm({
                    title: t('revokeTitle', { name: m.name, app: app.name }),
                    content: t('revokeContent'),
                    okText: t('revoke'),
                    okButtonProps: { danger: true },
                    cancelText: t('cancel'),
                    onOk: () =>
                      act(() => api.revoke(app.workspaceId, app.appId, m.miniProgramId), t('revokedDone', { name: m.name, app: app.name })),
                  })
                }
              >
                {t('revoke')}
              </Button>
            ),
          },
        ]}
      />
    </Modal>
  );
}
