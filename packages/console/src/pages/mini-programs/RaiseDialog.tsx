import { useEffect, useState } from 'react';
import { Alert, InputNumber, Modal, Space, Typography } from 'antd';
import type { Release } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { releaseApi } from './release-api';

/** Raise the share of the current rollout: the new share, never lower, and what it means, confirmed in one step. */
export function RaiseDialog({
  release,
  programId,
  onClose,
  onDone,
}: {
  release?: Release;
  programId: string;
  onClose: () => void;
  onDone: (r: Release) => void;
}) {
  const { t } = useI18n();
  const [percent, setPercent] = useState<number>(100);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (release) setPercent(Math.min(100, Math.max(release.percent, nextMark(release.percent))));
    setError(undefined);
  }, [release]);
  return (
    <Modal
      open={Boolean(release)}
      title={t('raiseTitle', { version: release?.version ?? '' })}
      onCancel={onClose}
      okText={t('confirm')}
      cancelText={t('cancel')}
      confirmLoading={busy}
      onOk={async () => {
        if (!release) return;
        setBusy(true);
        try {
          onDone(await releaseApi.update(programId, release.releaseId, { percent }));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
      destroyOnHidden
    >
      <ProblemAlert error={error} style={{ marginBottom: 12 }} />
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text>{t('raiseTo', { current: release?.percent ?? 0 })}</Typography.Text>
        <InputNumber
          min={release?.percent ?? 0}
          max={100}
          precision={2}
          value={percent}
          onChange={(v) => setPercent(Number(v ?? release?.percent ?? 0))}
          addonAfter="%"
          aria-label={t('percent')}
        />
        <Alert type="info" showIcon message={t('raiseSummary', { percent, version: release?.version ?? '' })} />
      </Space>
    </Modal>
  );
}

/** The usual next stop of a ramp: 1, 5, 10, 25, 50, 100. */
const nextMark = (p: number) => [1, 5, 10, 25, 50, 100].find((m) => m > p) ?? 100;
