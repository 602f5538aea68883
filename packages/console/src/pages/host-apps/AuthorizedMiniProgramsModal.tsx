import { useCallback, useEffect, useState } from 'react';
import { Button, Modal, Select, Space, Table } from 'antd';
import type { AuthorizedMiniProgram, HostApp, MiniProgram } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { useI18n } from '../../i18n/i18n';

/** The mini programs a host app may load: authorise and revoke. */
export function AuthorizedMiniProgramsModal({ app, onClose }: { app?: HostApp; onClose: () => void }) {
  const { t } = useI18n();
  const notice = useProblemNotice();
  const { modal, message } = useFeedback();
  const canChange = useCan()('operator');
  const [items, setItems] = useState<AuthorizedMiniProgram[]>();
  const [all, setAll] = useState<MiniProgram[]>([]);
  const [choice, setChoice] = useState<string>();
  const [error, setError] = useState<unknown>();

  const load = useCallback(async () => {
    if (!app) return;
    setError(undefined);
    try {
      const [auth, programs] = await Promise.all([api.authorizedMiniPrograms(app.workspaceId, app.appId), api.listMiniPrograms()]);
      setItems(auth.items);
      setAll(programs.items);
    } catch (err) {
      setError(err);
    }
  }, [app]);
  useEffect(() => {
    setItems(undefined);
    setChoice(undefined);
    void load();
  }, [load]);

  /** Runs a change, says it worked (or why not), and reloads the list. */
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      void message.success(done);
      await load();
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
      <ProblemAlert error={error} />
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
      <Table<AuthorizedMiniProgram>
        rowKey="miniProgramId"
        loading={!items && !error}
        dataSource={items ?? []}
        pagination={false}
        size="small"
        columns={[
          { title: t('miniProgram'), dataIndex: 'name' },
          { title: t('miniProgramId'), dataIndex: 'miniProgramId' },
          { title: t('releasedVersion'), dataIndex: 'releasedVersion', render: (v: string | null) => v ?? '—' },
          {
            title: t('operation'),
            key: 'op',
            hidden: !canChange,
            render: (_, m) => (
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
