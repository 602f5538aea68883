import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import { useSession } from '../auth/use-session';
import { useI18n } from '../i18n/i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { user } = useSession();
  const member = !user?.role;
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('notFoundPage')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t(member ? 'backToMyMiniPrograms' : 'backHome')}
        </Button>
      }
    />
  );
}
