import { lazy, useState } from 'react';
import { Button, Dropdown } from 'antd';
import { KeyOutlined } from '@ant-design/icons';
import { useMemberships } from '../../auth/use-role';
import { LazyDialog } from '../../components/LazyDialog';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import '../../i18n/release-key-messages';

const ReleaseKeysModal = lazy(() => import('../organisations/ReleaseKeysModal').then((m) => ({ default: m.ReleaseKeysModal })));

/**
 * Developer Backend: the release keys of the user's organisations (owners manage them, developers see them). One
 * organisation opens at once; several are picked from a menu.
 */
export function MyReleaseKeysButton({ orgName }: { orgName: (orgId: string) => string }) {
  const { t } = useI18n();
  const memberships = useMemberships();
  const [open, setOpen] = useState<{ orgId: string; name: string }>();
  if (memberships.length === 0) return null;
  const pick = (orgId: string) => setOpen({ orgId, name: orgName(orgId) });
  return (
    <>
      {memberships.length === 1 ? (
        <Button icon={<KeyOutlined />} onClick={() => pick(memberships[0].orgId)}>
          {t('releaseKeys')}
        </Button>
      ) : (
        <Dropdown menu={{ items: memberships.map((m) => ({ key: m.orgId, label: orgName(m.orgId) })), onClick: ({ key }) => pick(key) }}>
          <Button icon={<KeyOutlined />}>{t('releaseKeys')}</Button>
        </Dropdown>
      )}
      <LazyDialog open={Boolean(open)}>
        <ReleaseKeysModal organisation={open} onClose={() => setOpen(undefined)} />
      </LazyDialog>
    </>
  );
}
