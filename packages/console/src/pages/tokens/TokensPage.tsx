import { useState } from 'react';
import { Button, Card, Empty, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { Token } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { roleLabel } from '../../auth/use-role';
import { useSession } from '../../auth/use-session';
import { OperationLinks } from '../../components/OperationLinks';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { CreateTokenModal } from './CreateTokenModal';
import { useFeedback } from '../../components/feedback';

/** Administration > API Tokens: create (shown once), see last use and expiry, revoke. Admins see every token. */
export function TokensPage() {
  const { t } = useI18n();
  const format = useFormat();
  const { user } = useSession();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const { data, error, loading, reload } = useRequest((signal) => api.listTokens(signal), []);
  const [creating, setCreating] = useState(false);
  const now = Date.now();

  const confirmRevoke = (token: Token) =>
    modal.confirm({
      title: t('revokeTokenTitle', { name: token.name }),
      content: t('revokeTokenContent'),
      okText: t('revoke'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api.revokeToken(token.id);
          void message.success(t('tokenRevoked', { name: token.name }));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  const createButton = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
      {t('createToken')}
    </Button>
  );
  const when = (iso: string) => (
    <Tooltip title={format.dateTime(iso)}>
      <span>{format.relative(iso, now)}</span>
    </Tooltip>
  );

  return (
    <Card title={t('apiTokens')} extra={createButton}>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      <Table<Token>
        rowKey="id"
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: loading || error ? ' ' : <Empty description={t('tokensEmpty')}>{createButton}</Empty> }}
        pagination={{ hideOnSinglePage: true, pageSize: 50, showTotal: (total) => t('totalItems', { total }) }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('tokenName'), dataIndex: 'name', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
          { title: t('role'), dataIndex: 'role', render: (r: Token['role']) => <Tag>{t(roleLabel(r))}</Tag> },
          { title: t('createdBy'), dataIndex: 'createdBy', hidden: user?.role !== 'admin' },
          { title: t('createdAt'), dataIndex: 'createdAt', responsive: ['xl'], render: (v: string) => format.dateTime(v) },
          {
            title: t('lastUsed'),
            dataIndex: 'lastUsedAt',
            render: (v: string | null) => (v ? when(v) : <Typography.Text type="secondary">{t('neverUsed')}</Typography.Text>),
          },
          {
            title: t('expiresAt'),
            dataIndex: 'expiresAt',
            render: (v: string | null) =>
              v === null ? (
                t('expiryNever')
              ) : Date.parse(v) <= now ? (
                <Tooltip title={format.dateTime(v)}>
                  <Tag color="red">{t('expired')}</Tag>
                </Tooltip>
              ) : (
                when(v)
              ),
          },
          {
            title: t('operation'),
            key: 'operation',
            render: (_, token) => (
              <OperationLinks operations={[{ key: 'revoke', label: t('revoke'), danger: true, onClick: () => confirmRevoke(token) }]} />
            ),
          },
        ]}
      />
      <CreateTokenModal open={creating} onClose={() => setCreating(false)} onCreated={reload} />
    </Card>
  );
}
