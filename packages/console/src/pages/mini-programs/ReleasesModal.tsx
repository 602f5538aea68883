import { useState } from 'react';
import { Button, Card, Modal, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import type { MiniProgram, Release } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { useFeedback } from '../../components/feedback';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { CurrentRelease } from './CurrentRelease';
import { RaiseDialog } from './RaiseDialog';
import { ReleaseHistory } from './ReleaseHistory';
import { releaseApi } from './release-api';

/** How often the view follows a ramp (it moves with the clock) or signing running in the background. */
const FOLLOW_MS = 5000;

/**
 * The releases of one mini program: the current release with its share as a progress bar and Raise / Pause / Resume
 * / Roll back / Take down (each confirmed), and the history.
 */
export function ReleasesModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = useFeedback();
  const [raising, setRaising] = useState<Release>();
  const id = program?.miniProgramId ?? '';
  const { data, error, loading, reload } = useRequest((signal) => releaseApi.list(id, signal), [id], {
    enabled: Boolean(program),
    resetOnChange: true,
    refreshEvery: ({ items: [current] }) =>
      current && (current.state === 'rolling-out' || current.state === 'paused' || current.signing.state === 'pending') && FOLLOW_MS,
  });
  const items = data?.items;
  const current = items?.[0];

  return (
    <Modal
      open={Boolean(program)}
      width={1080}
      title={t('releasesTitle', { name: program?.name ?? '' })}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <ProblemAlert error={error} onRetry={reload} style={{ marginBottom: 12 }} />
      <Card
        size="small"
        title={t('currentRelease')}
        style={{ marginBottom: 16 }}
        extra={<Button size="small" icon={<ReloadOutlined />} aria-label={t('refresh')} onClick={reload} />}
        loading={!items && !error}
      >
        {program && current && items ? (
          <CurrentRelease program={program} current={current} history={items} onRaise={setRaising} onChanged={reload} />
        ) : (
          <Typography.Text type="secondary">{t('notReleased')}</Typography.Text>
        )}
      </Card>
      <Typography.Title level={5}>{t('history')}</Typography.Title>
      <ReleaseHistory releases={items} loading={loading && !items} onRaise={setRaising} />
      <RaiseDialog
        release={raising}
        programId={id}
        onClose={() => setRaising(undefined)}
        onDone={(res) => {
          setRaising(undefined);
          void message.success(t('raised', { percent: res.percent }));
          reload();
        }}
      />
    </Modal>
  );
}
