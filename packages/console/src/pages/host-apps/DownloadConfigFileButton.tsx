import { Button, Tooltip } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { HostApp } from '@mpop/contracts';
import { useI18n } from '../../i18n/i18n';

/** The config file mobile teams build into the host app (`mpop-<appId>.json`); there is none before the dev config. */
export const configFileUrl = (app: Pick<HostApp, 'workspaceId' | 'appId'>) =>
  `/api/v1/host-apps/${encodeURIComponent(app.workspaceId)}/${encodeURIComponent(app.appId)}/config-file`;

export function DownloadConfigFileButton({ app, type }: { app: HostApp; type?: 'primary' | 'default' }) {
  const { t } = useI18n();
  const button = (
    <Button
      type={type}
      icon={<DownloadOutlined />}
      href={app.devConfigured ? configFileUrl(app) : undefined}
      download={`mpop-${app.appId}.json`}
      disabled={!app.devConfigured}
    >
      {t('downloadConfigFile')}
    </Button>
  );
  return app.devConfigured ? button : <Tooltip title={t('configFileNeedsDevConfig')}>{button}</Tooltip>;
}
