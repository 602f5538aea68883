import { lazy, useState } from 'react';
import { Button, Modal, Tag } from 'antd';
import type { MiniProgram, Package, Release } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ProblemAlert } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { DataTable } from '../../components/DataTable';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { ReleaseSignatureTag } from '../../components/ReleaseSignatureTag';
import { ReviewStateTag } from '../../components/ReviewDetails';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import '../../i18n/release-key-messages';
import { releaseApi } from './release-api';
import { SigningAlert } from './ReleaseStatus';

// The Release dialog (its date pickers and their Chinese calendar words) loads when a version is first released.
const ReleaseDialog = lazy(() => import('./ReleaseDialog').then((m) => ({ default: m.ReleaseDialog })));

/** The package versions of a mini program, their review and status, and Release for each. */
export function VersionsModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const canChange = useCan()('operator');
  const { message } = useFeedback();
  const [releasing, setReleasing] = useState<string>();
  const id = program?.miniProgramId ?? '';
  const { data, error, loading, reload } = useRequest(
    (signal) =>
      Promise.all([api.listPackages(id, signal), releaseApi.list(id, signal)]).then(([packages, releases]) => ({
        packages: packages.items,
        current: releases.items[0] as Release | undefined,
      })),
    [id],
    // Signing runs in the background for large fan-outs: follow it until it ends.
    { enabled: Boolean(program), resetOnChange: true, refreshEvery: (d) => d.current?.signing.state === 'pending' && 1000 },
  );
  const current = data?.current;
  // The released version is green only once every host app can get it: a signing failure is never shown green, nor a
  // release that reaches no host app (grey), nor a rollout that reaches only part of the devices.
  const releasedColor =
    current?.signing.state === 'failed'
      ? 'error'
      : current?.signing.state === 'pending' || (current && current.percent < 100)
        ? 'processing'
        : current?.signing.total === 0
          ? undefined
          : 'green';
  const releasedLabel = (version: string) => {
    const label = t('statusReleased');
    if (current?.version !== version) return label;
    const share = current.percent < 100 ? ` (${current.percent} %)` : '';
    return current.signing.total === 0 ? `${label}${share} · ${t('noHostApp')}` : `${label}${share}`;
  };
  return (
    <Modal
      open={Boolean(program)}
      width={860}
      title={`${t('versions')} · ${program?.name ?? ''}`}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <ProblemAlert error={error} onRetry={reload} />
      {current && (current.signing.state !== 'signed' || current.signing.total === 0) && (
        <div style={{ marginBottom: 12 }}>
          <SigningAlert release={current} />
        </div>
      )}
      <DataTable<Package>
        label={t('versions')}
        rowKey={(p) => p.version}
        loading={loading && !data}
        rows={data?.packages}
        columns={[
          { key: 'version', title: t('version'), nowrap: true, render: (p) => p.version },
          {
            key: 'status',
            title: t('status'),
            render: (p) => (
              <Tag color={p.status === 'released' ? releasedColor : undefined}>
                {p.status === 'released' ? releasedLabel(p.version) : t('statusUploaded')}
              </Tag>
            ),
          },
          { key: 'review', title: t('review'), render: (p) => <ReviewStateTag state={p.review.state} /> },
          { key: 'releaseKey', title: t('releaseSignature'), render: (p) => <ReleaseSignatureTag releaseKey={p.releaseKey} /> },
          { key: 'size', title: t('size'), nowrap: true, render: (p) => format.bytes(p.size) },
          { key: 'mainUrl', title: t('mainUrl'), render: (p) => p.mainUrl },
          { key: 'sha256', title: 'SHA-256', render: (p) => <code title={p.sha256}>{p.sha256.slice(0, 12)}…</code> },
          {
            key: 'operation',
            title: t('operation'),
            hidden: !canChange,
            render: (p) => (
              <Button type="link" size="small" disabled={p.status === 'released'} onClick={() => setReleasing(p.version)}>
                {t('release')}
              </Button>
            ),
          },
        ]}
      />
      <LazyDialog open={Boolean(releasing)}>
        <ReleaseDialog
          program={releasing ? program : undefined}
          version={releasing}
          onClose={() => setReleasing(undefined)}
          onReleased={(rel) => {
            setReleasing(undefined);
            void message.success(t('releaseStarted', { version: rel.version }));
            reload();
          }}
        />
      </LazyDialog>
    </Modal>
  );
}
