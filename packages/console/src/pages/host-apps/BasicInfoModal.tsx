import { Button, Descriptions, Modal } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { CopyField } from '../../components/CopyField';
import { DownloadConfigFileButton } from './DownloadConfigFileButton';
import { GatewayUrl } from './GatewayUrl';
import { SignedAnswersPanel } from './SignedAnswersPanel';

/** "View Basic Information": App Name, workspaceId, APPID and Tenant ID with copy. */
export function BasicInfoModal({ app, onClose }: { app?: HostApp; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <Modal
      open={Boolean(app)}
      title={t('basicInfo')}
      onCancel={onClose}
      footer={[
        app && <DownloadConfigFileButton key="config" app={app} />,
        <Button key="close" onClick={onClose}>
          {t('close')}
        </Button>,
      ]}
      destroyOnHidden
    >
      {app && (
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('appName')}>{app.name}</Descriptions.Item>
          <Descriptions.Item label={t('workspaceId')}>{app.workspaceId}</Descriptions.Item>
          <Descriptions.Item label={t('appId')}>
            <CopyField value={app.appId} copyLabel={t('copyAppId')} testId="info-app-id" />
          </Descriptions.Item>
          <Descriptions.Item label={t('tenantId')}>
            <CopyField value={app.tenantId} copyLabel={t('copyTenantId')} testId="info-tenant-id" />
          </Descriptions.Item>
          <Descriptions.Item label={t('source')}>{app.source === 'mpaas' ? t('sourceMpaas') : t('sourceManual')}</Descriptions.Item>
          <Descriptions.Item label={t('createdAt')}>{format.dateTime(app.createdAt)}</Descriptions.Item>
        </Descriptions>
      )}
      {app?.devConfigured && <GatewayUrl />}
      {app && <SignedAnswersPanel app={app} />}
    </Modal>
  );
}
