import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import { useI18n } from '../i18n/i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('notFoundPage')}
      extra={
        <Button type="primary" onClick={() => navigate('/host-apps')}>
          {t('backHome')}
        </Button>
      }
    />
  );
}
