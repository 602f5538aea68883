import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Descriptions, InputNumber, Modal, Progress, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import type { MiniProgram, Release } from '@mpop/contracts';
import { ProblemAlert } from '../../api/problem';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { NameCell } from '../../components/NameCell';
import { releaseApi, rollbackTarget } from './release-api';
import { type ReleaseTextKey, useReleaseText } from './release-messages';
import { AutopilotStatus } from './AutopilotStatus';

const STATE_COLOR: Record<Release['state'], string> = {
  'rolling-out': 'processing',
  paused: 'warning',
  complete: 'success',
  'rolled-back': 'error',
  superseded: 'default',
  'taken-down': 'error',
};

/** A release's state; never green while its version could not be signed for some host apps. */
export function ReleaseStateTag({ release }: { release: Release }) {
  const r = useReleaseText();
  const live = !['superseded', 'rolled-back', 'taken-down'].includes(release.state);
  const failed = release.signing.state === 'failed' && live;
  // Signed for 0 of 0 host apps is not done: the release reaches no device.
  const nobody = release.signing.total === 0 && live;
  return (
    <Tag color={failed ? 'error' : nobody ? 'default' : STATE_COLOR[release.state]}>
      {r(`state.${release.state}` as ReleaseTextKey)}
      {release.state === 'rolling-out' || release.state === 'paused' ? ` (${release.percent} %)` : ''}
      {failed && ` · ${r('signing')} ✕`}
      {nobody && ` · ${r('noHostApp')}`}
    </Tag>
  );
}

/** Signing progress of a release's version for the authorised host apps, with the reason of a failure. */
export function SigningAlert({ release }: { release: Release }) {
  const r = useReleaseText();
  const { signing } = release;
  if (signing.total === 0) return <Alert type="warning" showIcon data-testid="signing-none" message={r('signingNone')} />;
  const vars = { done: signing.done, total: signing.total, reason: signing.reason ?? '' };
  if (signing.state === 'signed') return <Alert type="success" showIcon message={r('signingSigned', vars)} />;
  return (
    <Alert
      type={signing.state === 'failed' ? 'error' : 'info'}
      showIcon
      role={signing.state === 'failed' ? 'alert' : undefined}
      message={r(signing.state === 'failed' ? 'signingFailed' : 'signingPending', vars)}
      description={
        <Progress percent={Math.round((signing.done / signing.total) * 100)} status={signing.state === 'failed' ? 'exception' : 'active'} />
      }
    />
  );
}

/**
 * The releases of one mini program: the current release with its share as a progress bar and Raise / Pause / Resume
 * / Roll back / Take down (each confirmed), and the history.
 */
export function ReleasesModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { t } = useI18n();
  const r = useReleaseText();
  const format = useFormat();
  const notice = useProblemNotice();
  const { message, modal } = useFeedback();
  const [items, setItems] = useState<Release[]>();
  const [error, setError] = useState<unknown>();
  const [raising, setRaising] = useState<Release>();

  const load = useCallback(async () => {
    if (!program) return;
    try {
      setItems((await releaseApi.list(program.miniProgramId)).items);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, [program]);
  useEffect(() => {
    setItems(undefined);
    setError(undefined);
    void load();
  }, [load]);

  const current = items?.[0];
  const active = current && (current.state === 'rolling-out' || current.state === 'paused');
  // A ramp follows the clock and signing runs in the background: keep the view current while either moves.
  useEffect(() => {
    if (!current || !(active || current.signing.state === 'pending')) return;
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [current, active, load]);

  const act = (title: string, content: string, run: () => Promise<Release>, done: (res: Release) => string) =>
    modal.confirm({
      title,
      content,
      okText: t('confirm'),
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          void message.success(done(await run()));
        } catch (err) {
          notice(err);
        }
        await load();
      },
    });

  const fmt = format.dateTime;
  const scope = (rel: Release) => (rel.hostApps ? rel.hostApps.map((h) => `${h.appId} · ${h.workspaceId}`).join(', ') : r('allHostApps'));
  const target = items && rollbackTarget(items);
  const id = program?.miniProgramId ?? '';

  return (
    <Modal
      open={Boolean(program)}
      width={1080}
      title={r('releasesTitle', { name: program?.name ?? '' })}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <ProblemAlert error={error} style={{ marginBottom: 12 }} />
      <Card
        size="small"
        title={r('currentRelease')}
        style={{ marginBottom: 16 }}
        extra={<Button size="small" icon={<ReloadOutlined />} aria-label={r('refresh')} onClick={() => void load()} />}
        loading={!items && !error}
      >
        {!current ? (
          <Typography.Text type="secondary">{r('notReleased')}</Typography.Text>
        ) : (
          <Space direction="vertical" style={{ width: '100%' }} size="middle">
            <Descriptions size="small" column={3} bordered>
              <Descriptions.Item label={t('version')}>
                <Tag>{current.version}</Tag> <ReleaseStateTag release={current} />
              </Descriptions.Item>
              <Descriptions.Item label={r('previousVersion')}>{current.previousVersion ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={r('hostApps')}>{scope(current)}</Descriptions.Item>
              <Descriptions.Item label={r('percent')} span={2}>
                <Progress
                  percent={current.percent}
                  format={(p) => `${p} %`}
                  status={current.state === 'paused' ? 'normal' : current.state === 'rolling-out' ? 'active' : undefined}
                  aria-label={r('percent')}
                />
              </Descriptions.Item>
              <Descriptions.Item label={r('devices')}>{format.number(current.devices)}</Descriptions.Item>
              <Descriptions.Item label={r('mandatory')}>{current.mandatory ? r('yes') : r('no')}</Descriptions.Item>
              <Descriptions.Item label={r('steps')} span={2}>
                {current.steps.length ? current.steps.map((s) => `${fmt(s.at)} → ${s.percent} %`).join(' · ') : '—'}
              </Descriptions.Item>
              {current.note && (
                <Descriptions.Item label={r('note')} span={3}>
                  {current.note}
                </Descriptions.Item>
              )}
            </Descriptions>
            <SigningAlert release={current} />
            <AutopilotStatus release={current} />
            <Space wrap>
              <Button type="primary" disabled={!active || current.percent >= 100} onClick={() => setRaising(current)}>
                {r('raise')}
              </Button>
              {current.state === 'paused' ? (
                <Button
                  onClick={() =>
                    act(
                      r('resume'),
                      r('resumeConfirm', { version: current.version }),
                      () => releaseApi.update(id, current.releaseId, { paused: false }),
                      () => r('resumedDone'),
                    )
                  }
                >
                  {r('resume')}
                </Button>
              ) : (
                <Button
                  disabled={!active}
                  onClick={() =>
                    act(
                      r('pause'),
                      r('pauseConfirm', { version: current.version, percent: current.percent }),
                      () => releaseApi.update(id, current.releaseId, { paused: true }),
                      () => r('pausedDone'),
                    )
                  }
                >
                  {r('pause')}
                </Button>
              )}
              <Tooltip title={target ? undefined : r('nothingToRollBack')}>
                <Button
                  danger
                  disabled={!target}
                  onClick={() =>
                    target &&
                    act(
                      r('rollBackConfirm', { target }),
                      r('rollBackSummary', { target, version: current.version }),
                      () => releaseApi.rollback(id),
                      (res) => r('rolledBack', { version: res.version }),
                    )
                  }
                >
                  {r('rollBack')}
                </Button>
              </Tooltip>
              <Button
                danger
                disabled={current.state === 'taken-down'}
                onClick={() =>
                  act(
                    r('takeDownConfirm', { name: program?.name ?? id }),
                    r('takeDownSummary', { name: program?.name ?? id }),
                    () => releaseApi.takeDown(id),
                    () => r('takenDown', { name: program?.name ?? id }),
                  )
                }
              >
                {r('takeDown')}
              </Button>
            </Space>
          </Space>
        )}
      </Card>
      <Typography.Title level={5}>{r('history')}</Typography.Title>
      <Table<Release>
        rowKey="releaseId"
        size="small"
        loading={!items && !error}
        dataSource={items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('version'), dataIndex: 'version' },
          { title: t('status'), key: 'state', render: (_, rel) => <ReleaseStateTag release={rel} /> },
          {
            title: r('percent'),
            key: 'percent',
            width: 150,
            render: (_, rel) => <Progress percent={rel.percent} size="small" format={(p) => `${p} %`} />,
          },
          { title: r('previousVersion'), dataIndex: 'previousVersion', render: (v: string | null) => v ?? '—' },
          { title: r('hostApps'), key: 'hostApps', render: (_, rel) => scope(rel) },
          { title: r('devices'), dataIndex: 'devices', render: (n: number) => format.number(n) },
          { title: r('mandatoryColumn'), dataIndex: 'mandatory', render: (m: boolean) => (m ? r('yes') : r('no')) },
          {
            title: r('signing'),
            key: 'signing',
            render: (_, rel) => (rel.signing.total === 0 ? <Tag>{r('noHostApp')}</Tag> : `${rel.signing.done}/${rel.signing.total}`),
          },
          { title: r('note'), key: 'note', render: (_, rel) => (rel.note ? <NameCell name={rel.note} maxWidth={200} /> : '') },
          { title: r('createdBy'), key: 'createdBy', render: (_, rel) => <NameCell name={rel.createdBy} maxWidth={160} /> },
          {
            title: t('createdAt'),
            key: 'createdAt',
            fixed: 'right',
            render: (_, rel) => <span style={{ whiteSpace: 'nowrap' }}>{fmt(rel.createdAt)}</span>,
          },
          {
            // An earlier rollout still going for host apps that newer releases do not reach can still be raised.
            title: t('operation'),
            key: 'operation',
            fixed: 'right',
            render: (_, rel) =>
              rel !== current && (rel.state === 'rolling-out' || rel.state === 'paused') ? (
                <Button size="small" type="link" onClick={() => setRaising(rel)}>
                  {r('raise')}
                </Button>
              ) : null,
          },
        ]}
      />
      <RaiseDialog
        release={raising}
        programId={id}
        onClose={() => setRaising(undefined)}
        onDone={async (res) => {
          setRaising(undefined);
          void message.success(r('raised', { percent: res.percent }));
          await load();
        }}
      />
    </Modal>
  );
}

/** Raise the share of the current rollout: the new share, never lower, and what it means, confirmed in one step. */
function RaiseDialog({
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
  const r = useReleaseText();
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
      title={r('raiseTitle', { version: release?.version ?? '' })}
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
        <Typography.Text>{r('raiseTo', { current: release?.percent ?? 0 })}</Typography.Text>
        <InputNumber
          min={release?.percent ?? 0}
          max={100}
          precision={2}
          value={percent}
          onChange={(v) => setPercent(Number(v ?? release?.percent ?? 0))}
          addonAfter="%"
          aria-label={r('percent')}
        />
        <Alert type="info" showIcon message={r('raiseSummary', { percent, version: release?.version ?? '' })} />
      </Space>
    </Modal>
  );
}

/** The usual next stop of a ramp: 1, 5, 10, 25, 50, 100. */
const nextMark = (p: number) => [1, 5, 10, 25, 50, 100].find((m) => m > p) ?? 100;
