import type { ReactNode } from 'react';
import { Result } from 'antd';
import type { Role } from '@mpop/contracts';
import { roleLabel, useCan } from '../auth/use-role';
import { useSession } from '../auth/use-session';
import { useI18n } from '../i18n/i18n';

/** A page only a role from `need` up may open; others (who followed an old link) are told why. */
export function RequireRole({ need, children }: { need: Role; children: ReactNode }) {
  const { t } = useI18n();
  const can = useCan();
  const { user } = useSession();
  if (can(need)) return children;
  return <Result status="403" title="403" subTitle={t('noAccess', { role: user ? t(roleLabel(user.role)) : '' })} />;
}
