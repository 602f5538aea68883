import { useState } from 'react';
import { Button, Card, Select, Space, Typography } from 'antd';
import { ArrowLeftOutlined, ReloadOutlined } from '@ant-design/icons';
import { useNavigate, useParams } from 'react-router';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { useI18n } from '../../i18n/i18n';
import { ReleasedVersion } from '../mini-programs/ReleasedVersion';
import { AdoptionPanel } from './AdoptionPanel';

const ALL = '';

/** Mini Programs > Adoption: how the fleet of one mini program moves between versions, by host app or overall. */
export default function AdoptionPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const programs = useRequest((signal) => api.listMiniPrograms(signal), []);
  // The host app filter is a help: without it the page still shows every host app together.
  const hostApps = useRequest((signal) => api.listHostApps({ pageSize: 100 }, signal), []);
  const program = programs.data?.items.find((m) => m.miniProgramId === id);
  const [hostApp, setHostApp] = useState(ALL);
  const [days, setDays] = useState(7);
  const [refresh, setRefresh] = useState(0);

  const [workspaceId, appId] = hostApp ? hostApp.split('/') : [undefined, undefined];
  return (
    <Card
      title={
        <Space>
          <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('miniPrograms')} onClick={() => navigate('/mini-programs')} />
          <span>
            {t('adoption')} · {program?.name ?? id}
          </span>
          {program && (
            <span>
              <Typography.Text type="secondary">{t('releasedVersion')}: </Typography.Text>
              <ReleasedVersion program={program} />
            </span>
          )}
        </Space>
      }
    >
      <div style={{ marginBottom: 16 }}>
        <Space wrap>
          <Select
            aria-label={t('hostApp')}
            value={hostApp}
            onChange={setHostApp}
            style={{ width: 280 }}
            showSearch
            optionFilterProp="label"
            options={[
              { value: ALL, label: t('allHostApps') },
              ...(hostApps.data?.items ?? []).map((a) => ({ value: `${a.workspaceId}/${a.appId}`, label: `${a.name} (${a.appId})` })),
            ]}
          />
          <Select
            aria-label={t('adoptionWindow')}
            value={days}
            onChange={setDays}
            style={{ width: 140 }}
            options={[1, 7, 30].map((d) => ({ value: d, label: t('lastDays', { days: d }) }))}
          />
          <Button icon={<ReloadOutlined />} onClick={() => setRefresh((n) => n + 1)}>
            {t('refresh')}
          </Button>
        </Space>
      </div>
      <ProblemAlert error={programs.error} onRetry={programs.reload} />
      <AdoptionPanel key={refresh} miniProgramId={id} workspaceId={workspaceId} appId={appId} days={days} />
    </Card>
  );
}
