import { useEffect, useState } from 'react';
import { Alert, Button, Descriptions, Input, Modal, Space, Spin } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { DevConfig, HostApp } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { CopyButton, CopyField } from './CopyField';
import { DownloadConfigFileButton } from './DownloadConfigFileButton';

/** "View Development Configuration": virtual domain and the key's public facts; never the private key. */
export function ViewDevConfigModal({ app, onClose, onMake }: { app?: HostApp; onClose: () => void; onMake: (app: HostApp) => void }) {
  const { t } = useI18n();
  const [config, setConfig] = useState<DevConfig>();
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    setConfig(undefined);
    setError(undefined);
    if (app) api.getDevConfig(app.workspaceId, app.appId).then(setConfig, (e) => setError(e instanceof ApiError ? e : undefined));
  }, [app]);

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
      {error && (
        <Alert
          type={error.code === 'DEV_CONFIG_NOT_SET' ? 'info' : 'error'}
          showIcon
          message={error.code === 'DEV_CONFIG_NOT_SET' ? t('devConfigNotSet') : error.problem.detail}
          action={
            app && error.code === 'DEV_CONFIG_NOT_SET' ? (
              <Button size="small" onClick={() => onMake(app)}>
                {t('makeDevConfig')}
              </Button>
            ) : undefined
          }
        />
      )}
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
              <Input.TextArea
                aria-label={t('publicKey')}
                value={config.privateKey.publicKeyPem}
                readOnly
                autoSize={{ minRows: 4, maxRows: 10 }}
                style={{ fontFamily: 'monospace', fontSize: 12 }}
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
          <Descriptions.Item label={t('keyUploadedAt')}>{new Date(config.privateKey.uploadedAt).toLocaleString()}</Descriptions.Item>
          <Descriptions.Item label={t('updatedAt')}>{new Date(config.updatedAt).toLocaleString()}</Descriptions.Item>
        </Descriptions>
      )}
    </Modal>
  );
}
