import { useState } from 'react';
import { Button, Empty, Tag, Tooltip } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { Token } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { roleLabel } from '../../auth/use-role';
import { useSession } from '../../auth/use-session';
import { ListView } from '../../components/ListView';
import { OperationLinks } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
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
    <PagePanel title={t('apiTokens')} extra={createButton}>
      <ListView<Token>
        error={error}
        onRetry={reload}
        label={t('apiTokens')}
        rowKey={(token) => token.id}
        loading={loading}
        rows={data?.items}
        empty={<Empty description={t('tokensEmpty')}>{createButton}</Empty>}
        columns={[
          { key: 'name', title: t('tokenName'), render: (token) => <strong>{token.name}</strong> },
          { key: 'role', title: t('role'), render: (token) => <Tag>{t(roleLabel(token.role))}</Tag> },
          { key: 'createdBy', title: t('createdBy'), hidden: user?.role !== 'admin', render: (token) => token.createdBy },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (token) => format.dateTime(token.createdAt) },
          {
            key: 'lastUsed',
            title: t('lastUsed'),
            render: (token) => (token.lastUsedAt ? when(token.lastUsedAt) : <span style={{ opacity: 0.55 }}>{t('neverUsed')}</span>),
          },
          {
            key: 'expiresAt',
            title: t('expiresAt'),
            render: ({ expiresAt }) =>
              expiresAt === null ? (
                t('expiryNever')
              ) : Date.parse(expiresAt) <= now ? (
                <Tooltip title={format.dateTime(expiresAt)}>
                  <Tag color="red">{t('expired')}</Tag>
                </Tooltip>
              ) : (
                when(expiresAt)
              ),
          },
          {
            key: 'operation',
            title: t('operation'),
            render: (token) => (
              <OperationLinks operations={[{ key: 'revoke', label: t('revoke'), danger: true, onClick: () => confirmRevoke(token) }]} />
            ),
          },
        ]}
      />
      <CreateTokenModal open={creating} onClose={() => setCreating(false)} onCreated={reload} />
    </PagePanel>
  );
}
