import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Progress, Select, Space, Table, Tag, Upload, type UploadFile } from 'antd';
import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import type { MiniProgram, Package, Release } from '@mpop/contracts';
import { PACKAGE_VERSION_PATTERN } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { uploadPackage } from './upload';
import { useFormSubmit } from '../../api/use-form-submit';
import { Link } from 'react-router';
import { releaseApi } from './release-api';
import { useReleaseText } from './release-messages';
import { ReleaseDialog } from './ReleaseDialog';
import { ReleasesModal, SigningAlert } from './ReleasesModal';

const detail = (err: unknown) => (err instanceof ApiError ? err.problem.detail : String(err));

/** Mini programs: register, upload package versions (with progress), release one, see versions. */
export function MiniProgramsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [items, setItems] = useState<MiniProgram[]>();
  const [error, setError] = useState<string>();
  const [registering, setRegistering] = useState(false);
  const [uploadingFor, setUploadingFor] = useState<MiniProgram>();
  const [versionsOf, setVersionsOf] = useState<MiniProgram>();
  const [releasesOf, setReleasesOf] = useState<MiniProgram>();
  const r = useReleaseText();

  const load = useCallback(async () => {
    setError(undefined);
    try {
      setItems((await api.listMiniPrograms()).items);
    } catch (err) {
      setError(detail(err));
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <Card
      title={t('miniPrograms')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)}>
          {t('registerMiniProgram')}
        </Button>
      }
    >
      {error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          message={error}
          style={{ marginBottom: 16 }}
          action={
            <Button size="small" onClick={() => void load()}>
              {t('retry')}
            </Button>
          }
        />
      )}
      <Table<MiniProgram>
        rowKey="miniProgramId"
        loading={!items && !error}
        dataSource={items ?? []}
        locale={{ emptyText: t('miniProgramsEmpty') }}
        columns={[
          { title: t('name'), dataIndex: 'name' },
          { title: t('miniProgramId'), dataIndex: 'miniProgramId', render: (v: string) => <code>{v}</code> },
          {
            title: t('releasedVersion'),
            dataIndex: 'releasedVersion',
            render: (v: string | null) => (v ? <Tag color="green">{v}</Tag> : <Tag>{t('none')}</Tag>),
          },
          { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => new Date(v).toLocaleString() },
          {
            title: t('operation'),
            key: 'op',
            render: (_, m) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setUploadingFor(m)}>
                  {t('uploadPackage')}
                </Button>
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

function RegisterModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: (m: MiniProgram) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; miniProgramId?: string }>();
  const { submit, error } = useFormSubmit(form, async (v) => {
    onDone(await api.createMiniProgram({ name: v.name.trim(), ...(v.miniProgramId ? { miniProgramId: v.miniProgramId.trim() } : {}) }));
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
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        <Form.Item
          label={t('miniProgramName')}
          name="name"
          rules={[{ required: true, whitespace: true, message: t('miniProgramNameRequired') }]}
        >
          <Input />
        </Form.Item>
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

function UploadModal({ program, onClose, onDone }: { program?: MiniProgram; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ version: string; platform?: string; clientVersionMin?: string; clientVersionMax?: string }>();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [progress, setProgress] = useState<number>();
  const [error, setError] = useState<string>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form is reset whenever another program is picked
  useEffect(() => {
    setFiles([]);
    setProgress(undefined);
    setError(undefined);
    form.resetFields();
  }, [program, form]);
  const submit = async () => {
    if (!program) return;
    const v = await form.validateFields().catch(() => undefined); // field errors are shown by the form
    if (!v) return;
    const file = files[0]?.originFileObj as File | undefined;
    if (!file) {
      setError(t('packageFileRequired'));
      return;
    }
    const data = new FormData();
    data.append('version', v.version.trim());
    for (const k of ['platform', 'clientVersionMin', 'clientVersionMax'] as const) if (v[k]) data.append(k, String(v[k]).trim());
    data.append('package', file, file.name);
    setError(undefined);
    setProgress(0);
    try {
      await uploadPackage(program.miniProgramId, data, setProgress);
      onDone();
    } catch (err) {
      setProgress(undefined);
      setError(detail(err));
    }
  };
  return (
    <Modal
      open={Boolean(program)}
      title={`${t('uploadPackage')} · ${program?.name ?? ''}`}
      onCancel={onClose}
      onOk={submit}
      okText={t('confirm')}
      cancelText={t('cancel')}
      confirmLoading={progress !== undefined}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        <Form.Item
          label={t('version')}
          name="version"
          extra={t('versionHelp')}
          rules={[
            { required: true, message: t('versionRequired') },
            { pattern: new RegExp(PACKAGE_VERSION_PATTERN), message: t('versionInvalid') },
          ]}
        >
          <Input />
        </Form.Item>
        <Form.Item label={t('platform')} name="platform">
          <Select allowClear placeholder={t('allPlatforms')} options={['android', 'ios', 'harmony'].map((p) => ({ value: p, label: p }))} />
        </Form.Item>
        <Space>
          <Form.Item label={t('clientVersionMin')} name="clientVersionMin">
            <Input placeholder="10.1.0" />
          </Form.Item>
          <Form.Item label={t('clientVersionMax')} name="clientVersionMax">
            <Input placeholder="10.9.9" />
          </Form.Item>
        </Space>
        <Form.Item label={t('packageFile')}>
          <Upload
            accept=".zip,.amr"
            maxCount={1}
            fileList={files}
            beforeUpload={(f) => {
              setFiles([{ uid: f.uid, name: f.name, originFileObj: f, status: 'done' }]);
              return false;
            }}
            onRemove={() => setFiles([])}
          >
            <Button icon={<UploadOutlined />}>{t('selectFile')}</Button>
          </Upload>
        </Form.Item>
        {progress !== undefined && <Progress percent={progress} aria-label={t('uploadProgress')} />}
      </Form>
    </Modal>
  );
}

function VersionsModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { t } = useI18n();
  const r = useReleaseText();
  const { message } = App.useApp();
  const [items, setItems] = useState<Package[]>();
  const [current, setCurrent] = useState<Release>();
  const [error, setError] = useState<string>();
  const [releasing, setReleasing] = useState<string>();
  const load = useCallback(async () => {
    if (!program) return;
    try {
      const [packages, releases] = await Promise.all([api.listPackages(program.miniProgramId), releaseApi.list(program.miniProgramId)]);
      setItems(packages.items);
      setCurrent(releases.items[0]);
    } catch (err) {
      setError(detail(err));
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
  // The released version is green only once every host app can get it; a signing failure is never shown green.
  const releasedColor = current?.signing.state === 'failed' ? 'error' : current?.signing.state === 'pending' ? 'processing' : 'green';
  return (
    <Modal
      open={Boolean(program)}
      width={860}
      title={`${t('versions')} · ${program?.name ?? ''}`}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon role="alert" message={error} />}
      {current && current.signing.state !== 'signed' && (
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
            render: (s: string) => <Tag color={s === 'released' ? releasedColor : undefined}>{s}</Tag>,
          },
          { title: t('size'), dataIndex: 'size', render: (n: number) => `${(n / 1024).toFixed(1)} KiB` },
          { title: t('mainUrl'), dataIndex: 'mainUrl' },
          { title: 'SHA-256', dataIndex: 'sha256', render: (s: string) => <code title={s}>{s.slice(0, 12)}…</code> },
          {
            title: t('operation'),
            key: 'op',
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
