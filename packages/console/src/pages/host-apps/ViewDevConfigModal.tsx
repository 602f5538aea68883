import { Alert, Button, Descriptions, Input, Modal, Space, Spin } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { DevConfig, HostApp } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { CopyButton, CopyField } from '../../components/CopyField';
import { DownloadConfigFileButton } from './DownloadConfigFileButton';
import { GatewayUrl } from './GatewayUrl';

/** "View Development Configuration": virtual domain and the key's public facts; never the private key. */
export function ViewDevConfigModal({ app, onClose, onMake }: { app?: HostApp; onClose: () => void; onMake: (app: HostApp) => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const request = useRequest<DevConfig | undefined>(
    async (signal) => (app ? api.getDevConfig(app.workspaceId, app.appId, signal) : undefined),
    [app],
  );
  // The answer of another app (kept while this one loads) is never shown.
  const config = request.loading ? undefined : request.data;
  const error = request.loading ? undefined : request.error;
  const notSet = error?.code === 'DEV_CONFIG_NOT_SET';

  return (
    <Modal
      open={Boolean(app)}
      width={720}
      title={`${t('viewDevConfig')}${app ? ` · ${app.name}` : ''}`}
      onCancel={onClose}
      destroyOnHidden
      footer={[
        config && app && <DownloadConfigFileButton key="config" type="primary" app={{ ...app, devConfigured: true }} />,
        <Button key="close" onClick={onClose}>
          {t('close')}
        </Button>,
      ]}
    >
      {!config && !error && (
        <Spin tip={t('loading')}>
          <div style={{ height: 80 }} />
        </Spin>
      )}
      {notSet && (
        <Alert
          type="info"
          showIcon
          message={t('devConfigNotSet')}
          action={
            app && can('operator') ? (
              <Button size="small" onClick={() => onMake(app)}>
                {t('makeDevConfig')}
              </Button>
            ) : undefined
          }
        />
      )}
      {!notSet && <ProblemAlert error={error} onRetry={request.reload} />}
      {config && app && (
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('virtualDomain')}>{config.virtualDomain}</Descriptions.Item>
          <Descriptions.Item label={t('keyFileName')}>{config.privateKey.fileName}</Descriptions.Item>
          <Descriptions.Item label={t('keyBits')}>
            {config.privateKey.algorithm} {config.privateKey.bits}
          </Descriptions.Item>
          <Descriptions.Item label={t('keyFormat')}>{config.privateKey.format.toUpperCase()}</Descriptions.Item>
          <Descriptions.Item label={t('fingerprint')}>
            <CopyField value={config.privateKey.fingerprintSha256} copyLabel={t('copy')} testId="key-fingerprint" />
          </Descriptions.Item>
          <Descriptions.Item label={t('publicKey')}>
            <Space direction="vertical" style={{ width: '100%' }}>
              {/* PEM lines kept whole (64 characters each): the box scrolls sideways when narrow, never re-wraps them. */}
              <Input.TextArea
                aria-label={t('publicKey')}
                value={config.privateKey.publicKeyPem}
                readOnly
                wrap="off"
                rows={Math.min(12, config.privateKey.publicKeyPem.trim().split('\n').length)}
                style={{ fontFamily: 'monospace', fontSize: 12, whiteSpace: 'pre', overflowX: 'auto', resize: 'none' }}
              />
              <Space>
                <CopyButton value={config.privateKey.publicKeyPem} label={t('copyPublicKey')} showLabel />
                <Button
                  icon={<DownloadOutlined />}
                  href={api.publicKeyUrl(app.workspaceId, app.appId)}
                  download={`${app.appId}_public_key.pem`}
                >
                  {t('downloadPublicKey')}
                </Button>
              </Space>
            </Space>
          </Descriptions.Item>
          <Descriptions.Item label={t('keyUploadedAt')}>{format.dateTime(config.privateKey.uploadedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('updatedAt')}>{format.dateTime(config.updatedAt)}</Descriptions.Item>
        </Descriptions>
      )}
      {config && app && <GatewayUrl />}
    </Modal>
  );
}
