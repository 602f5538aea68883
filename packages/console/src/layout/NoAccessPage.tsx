import { Result } from 'antd';
import { roleLabel } from '../auth/use-role';
import { useSession } from '../auth/use-session';
import { useI18n } from '../i18n/i18n';

/** What a page the user's role may not open shows instead (someone followed an old link). */
export function NoAccessPage() {
  const { t } = useI18n();
  const { user } = useSession();
  return <Result status="403" title="403" subTitle={t('noAccess', { role: user ? t(roleLabel(user.role)) : '' })} />;
}
