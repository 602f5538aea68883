import { Alert, Typography } from 'antd';
import { api } from '../../api/endpoints';
import { useRequest } from '../../api/use-request';
import { useI18n } from '../../i18n/i18n';

/** The gateway URL a config file carries: the platform's public address (MPOP_PUBLIC_URL) and the client API's path. */
export const gatewayUrlOf = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}/client/v1`;

/** True when phones could not reach the address: a loopback host (localhost, 127.x, ::1) is the computer itself. */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
  } catch {
    return false;
  }
}

/**
 * Beside "Download Config File": which gateway URL the file will carry, with a warning when it is a loopback address
 * (MPOP_PUBLIC_URL left at its default), which no phone can reach.
 */
export function GatewayUrl() {
  const { t } = useI18n();
  // The note is a help: without it (a failed request) the download still works, so a problem is not shown.
  const publicUrl = useRequest((signal) => api.sessionOptions(signal), []).data?.publicUrl;
  if (!publicUrl) return null;
  const url = gatewayUrlOf(publicUrl);
  return (
    <div data-testid="gateway-url" style={{ marginTop: 16 }}>
      <Typography.Text type="secondary">{t('gatewayUrlNote')} </Typography.Text>
      <Typography.Text code copyable={{ text: url }}>
        {url}
      </Typography.Text>
      {isLoopback(publicUrl) && (
        <Alert type="warning" showIcon style={{ marginTop: 8 }} message={t('gatewayUrlLoopback', { url: publicUrl })} />
      )}
    </div>
  );
}
