import { useCallback, useEffect, useState } from 'react';
import { Button, Card, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { MiniProgram, Organisation, Package, Release } from '@mpop/contracts';
import { PLATFORM_ORG_ID } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { miniProgramNameRules } from './name-rules';
import { ProblemAlert } from '../../api/problem';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { UploadModal } from './UploadModal';
import { useFormSubmit } from '../../api/use-form-submit';
import { useRequest } from '../../api/use-request';
import { ReviewStateTag } from '../../components/ReviewDetails';
import { Link } from 'react-router';
import { releaseApi } from './release-api';
import { useReleaseText } from './release-messages';
import { ReleaseDialog } from './ReleaseDialog';
import { ReleasedVersion } from './ReleasedVersion';
import { NameCell } from '../../components/NameCell';
import { ReleasesModal, SigningAlert } from './ReleasesModal';
import { ReleaseSignatureTag } from '../../components/ReleaseSignatureTag';
import { useReleaseKeyText } from '../../i18n/release-key-messages';

/** Mini programs: register, upload package versions (with progress), release one, see versions. */
export function MiniProgramsPage() {
  const { t } = useI18n();
  const format = useFormat();
  const canChange = useCan()('operator');
  const { message } = useFeedback();
  const [items, setItems] = useState<MiniProgram[]>();
  const [total, setTotal] = useState(0);
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [error, setError] = useState<unknown>();
  const [registering, setRegistering] = useState(false);
  const [uploadingFor, setUploadingFor] = useState<MiniProgram>();
  const [versionsOf, setVersionsOf] = useState<MiniProgram>();
  const [releasesOf, setReleasesOf] = useState<MiniProgram>();
  const r = useReleaseText();

  const load = useCallback(async () => {
    setError(undefined);
    try {
      const list = await api.listMiniPrograms(undefined, { query: searched || undefined });
      setItems(list.items);
      setTotal(list.total);
    } catch (err) {
      setError(err);
    }
  }, [searched]);
  useEffect(() => void load(), [load]);
  // Which organisation each mini program belongs to, by name (asked after the list; a failure only costs the names).
  const orgs = useRequest((signal) => api.listOrganisations(signal), []);
  const orgName = (orgId: string) => orgs.data?.items.find((o) => o.orgId === orgId)?.name ?? orgId;

  return (
    <Card
      title={t('miniPrograms')}
      extra={
        canChange && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)}>
            {t('registerMiniProgram')}
          </Button>
        )
      }
    >
      <Input.Search
        allowClear
        aria-label={t('searchMiniPrograms')}
        placeholder={t('searchMiniPrograms')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onSearch={(v) => setSearched(v.trim())}
        style={{ width: 360, maxWidth: '100%', marginBottom: 16 }}
      />
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={() => void load()} />
      <Table<MiniProgram>
        pagination={{ showTotal: () => t('miniProgramsTotal', { total }), hideOnSinglePage: false }}
        rowKey="miniProgramId"
        loading={!items && !error}
        dataSource={items ?? []}
        locale={{ emptyText: searched ? t('miniProgramsNoMatch', { query: searched }) : t('miniProgramsEmpty') }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('name'), key: 'name', render: (_, m) => <NameCell name={m.name} /> },
          { title: t('miniProgramId'), dataIndex: 'miniProgramId', render: (v: string) => <code>{v}</code> },
          { title: t('organisation'), dataIndex: 'orgId', render: (v: string) => orgName(v) },
          {
            title: t('releasedVersion'),
            key: 'releasedVersion',
            render: (_, m) => <ReleasedVersion program={m} />,
          },
          { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
          {
            title: t('operation'),
            key: 'op',
            fixed: 'right',
            render: (_, m) => (
              <Space size={0}>
                {canChange && (
                  <Button type="link" size="small" onClick={() => setUploadingFor(m)}>
                    {t('uploadPackage')}
                  </Button>
                )}
                <Button type="link" size="small" onClick={() => setVersionsOf(m)}>
                  {t('versions')}
                </Button>
                <Link to={`/mini-programs/${m.miniProgramId}/adoption`} style={{ padding: '0 7px' }}>
                  {t('adoption')}
                </Link>
                <Button type="link" size="small" onClick={() => setReleasesOf(m)}>
                  {r('releases')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <RegisterModal
        open={registering}
        organisations={orgs.data?.items ?? []}
        onClose={() => setRegistering(false)}
        onDone={(m) => {
          setRegistering(false);
          void message.success(t('registered', { name: m.name, id: m.miniProgramId }));
          void load();
        }}
      />
      <UploadModal
        program={uploadingFor}
        onClose={() => setUploadingFor(undefined)}
        onDone={() => {
          const m = uploadingFor;
          setUploadingFor(undefined);
          void message.success(t('packageUploaded'));
          setVersionsOf(m);
        }}
      />
      <VersionsModal
        program={versionsOf}
        onClose={() => {
          setVersionsOf(undefined);
          void load();
        }}
      />
      <ReleasesModal
        program={releasesOf}
        onClose={() => {
          setReleasesOf(undefined);
          void load();
        }}
      />
    </Card>
  );
}

/** Registers a mini program; left without an organisation, it belongs to the platform's own (`platform`). */
function RegisterModal({
  open,
  organisations,
  onClose,
  onDone,
}: {
  open: boolean;
  organisations: Organisation[];
  onClose: () => void;
  onDone: (m: MiniProgram) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; miniProgramId?: string; orgId?: string }>();
  const { submit, error } = useFormSubmit(form, async (v) => {
    onDone(
      await api.createMiniProgram({
        name: v.name.trim(),
        ...(v.miniProgramId ? { miniProgramId: v.miniProgramId.trim() } : {}),
        ...(v.orgId ? { orgId: v.orgId } : {}),
      }),
    );
    form.resetFields();
  });
  return (
    <Modal
      open={open}
      title={t('registerMiniProgram')}
      onCancel={onClose}
      onOk={submit}
      okText={t('confirm')}
      cancelText={t('cancel')}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical">
        <Form.Item label={t('miniProgramName')} name="name" rules={miniProgramNameRules(t)}>
          <Input />
        </Form.Item>
        {organisations.length > 1 && (
          <Form.Item label={t('organisation')} name="orgId">
            <Select
              allowClear
              placeholder={organisations.find((o) => o.orgId === PLATFORM_ORG_ID)?.name ?? PLATFORM_ORG_ID}
              options={organisations.filter((o) => !o.suspended).map((o) => ({ value: o.orgId, label: o.name }))}
            />
          </Form.Item>
        )}
        <Form.Item
          label={t('miniProgramIdOptional')}
          name="miniProgramId"
          extra={t('miniProgramIdHelp')}
          rules={[{ pattern: /^[0-9]{16}$/, message: t('miniProgramIdInvalid') }]}
        >
          <Input />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function VersionsModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { t } = useI18n();
  const rk = useReleaseKeyText();
  const r = useReleaseText();
  const format = useFormat();
  const canChange = useCan()('operator');
  const { message } = useFeedback();
  const [items, setItems] = useState<Package[]>();
  const [current, setCurrent] = useState<Release>();
  const [error, setError] = useState<unknown>();
  const [releasing, setReleasing] = useState<string>();
  const load = useCallback(async () => {
    if (!program) return;
    try {
      const [packages, releases] = await Promise.all([api.listPackages(program.miniProgramId), releaseApi.list(program.miniProgramId)]);
      setItems(packages.items);
      setCurrent(releases.items[0]);
    } catch (err) {
      setError(err);
    }
  }, [program]);
  useEffect(() => {
    setItems(undefined);
    setCurrent(undefined);
    setError(undefined);
    void load();
  }, [load]);
  // Signing runs in the background for large fan-outs: follow it until it ends.
  useEffect(() => {
    if (current?.signing.state !== 'pending') return;
    const timer = setTimeout(() => void load(), 1000);
    return () => clearTimeout(timer);
  }, [current, load]);
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
    return current.signing.total === 0 ? `${label}${share} · ${r('noHostApp')}` : `${label}${share}`;
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
      <ProblemAlert error={error} />
      {current && (current.signing.state !== 'signed' || current.signing.total === 0) && (
        <div style={{ marginBottom: 12 }}>
          <SigningAlert release={current} />
        </div>
      )}
      <Table<Package>
        rowKey="version"
        size="small"
        loading={!items && !error}
        dataSource={items ?? []}
        pagination={false}
        columns={[
          { title: t('version'), dataIndex: 'version' },
          {
            title: t('status'),
            dataIndex: 'status',
            render: (s: Package['status'], p) => (
              <Tag color={s === 'released' ? releasedColor : undefined}>
                {s === 'released' ? releasedLabel(p.version) : t('statusUploaded')}
              </Tag>
            ),
          },
          { title: t('review'), key: 'review', render: (_, p) => <ReviewStateTag state={p.review.state} /> },
          { title: rk('releaseSignature'), key: 'releaseKey', render: (_, p) => <ReleaseSignatureTag releaseKey={p.releaseKey} /> },
          { title: t('size'), dataIndex: 'size', render: (n: number) => format.bytes(n) },
          { title: t('mainUrl'), dataIndex: 'mainUrl' },
          { title: 'SHA-256', dataIndex: 'sha256', render: (s: string) => <code title={s}>{s.slice(0, 12)}…</code> },
          {
            title: t('operation'),
            key: 'op',
            hidden: !canChange,
            render: (_, p) => (
              <Button type="link" size="small" disabled={p.status === 'released'} onClick={() => setReleasing(p.version)}>
                {t('release')}
              </Button>
            ),
          },
        ]}
      />
      <ReleaseDialog
        program={releasing ? program : undefined}
        version={releasing}
        onClose={() => setReleasing(undefined)}
        onReleased={(rel) => {
          setReleasing(undefined);
          setCurrent(rel);
          void message.success(r('releaseStarted', { version: rel.version }));
          void load();
        }}
      />
    </Modal>
  );
}
