import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Progress, Select, Space, Table, Tag, Upload, type UploadFile } from 'antd';
import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import type { MiniProgram, Package } from '@mpop/contracts';
import { PACKAGE_VERSION_PATTERN } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { uploadPackage } from './upload';

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
    <Card title={t('miniPrograms')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)}>Register mini program</Button>}>
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 16 }} action={<Button size="small" onClick={() => void load()}>{t('retry')}</Button>} />}
      <Table<MiniProgram> rowKey="miniProgramId" loading={!items && !error} dataSource={items ?? []}
        locale={{ emptyText: 'No mini programs yet. Register one, then upload and release a package.' }}
        columns={[
          { title: 'Name', dataIndex: 'name' },
          { title: 'Mini program ID', dataIndex: 'miniProgramId', render: (v: string) => <code>{v}</code> },
          { title: 'Released version', dataIndex: 'releasedVersion', render: (v: string | null) => (v ? <Tag color="green">{v}</Tag> : <Tag>none</Tag>) },
          { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => new Date(v).toLocaleString() },
          {
            title: t('operation'), key: 'op', render: (_, m) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setUploadingFor(m)}>Upload package</Button>
                <Button type="link" size="small" onClick={() => setVersionsOf(m)}>Versions</Button>
              </Space>
            ),
          },
        ]} />
      <RegisterModal open={registering} onClose={() => setRegistering(false)} onDone={(m) => { setRegistering(false); void message.success(`Registered ${m.name} (${m.miniProgramId}).`); void load(); }} />
      <UploadModal program={uploadingFor} onClose={() => setUploadingFor(undefined)} onDone={() => { const m = uploadingFor; setUploadingFor(undefined); void message.success('Package uploaded.'); setVersionsOf(m); }} />
      <VersionsModal program={versionsOf} onClose={() => { setVersionsOf(undefined); void load(); }} />
    </Card>
  );
}

function RegisterModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: (m: MiniProgram) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; miniProgramId?: string }>();
  const [error, setError] = useState<string>();
  const submit = async () => {
    const v = await form.validateFields().catch(() => undefined); // field errors are shown by the form
    if (!v) return;
    setError(undefined);
    try {
      onDone(await api.createMiniProgram({ name: v.name.trim(), ...(v.miniProgramId ? { miniProgramId: v.miniProgramId.trim() } : {}) }));
      form.resetFields();
    } catch (err) {
      setError(detail(err));
    }
  };
  return (
    <Modal open={open} title="Register mini program" onCancel={onClose} onOk={submit} okText={t('confirm')} cancelText={t('cancel')} destroyOnHidden>
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        <Form.Item label="Mini program name" name="name" rules={[{ required: true, whitespace: true, message: 'Enter the name.' }]}><Input /></Form.Item>
        <Form.Item label="Mini program ID (optional)" name="miniProgramId" extra="16 digits; generated when left empty. IDs starting with 666 or 20000 are reserved."
          rules={[{ pattern: /^[0-9]{16}$/, message: 'Enter exactly 16 digits.' }]}><Input /></Form.Item>
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
  useEffect(() => { setFiles([]); setProgress(undefined); setError(undefined); form.resetFields(); }, [program, form]);
  const submit = async () => {
    if (!program) return;
    const v = await form.validateFields().catch(() => undefined); // field errors are shown by the form
    if (!v) return;
    const file = files[0]?.originFileObj as File | undefined;
    if (!file) { setError('Choose the package file (.zip).'); return; }
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
    <Modal open={Boolean(program)} title={`Upload package · ${program?.name ?? ''}`} onCancel={onClose} onOk={submit} okText={t('confirm')} cancelText={t('cancel')}
      confirmLoading={progress !== undefined} destroyOnHidden>
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        <Form.Item label="Version" name="version" extra="Four numbers, like 1.0.0.1" rules={[{ required: true, message: 'Enter the version.' }, { pattern: new RegExp(PACKAGE_VERSION_PATTERN), message: 'Use four numbers, like 1.0.0.1.' }]}><Input /></Form.Item>
        <Form.Item label="Platform" name="platform"><Select allowClear placeholder="all platforms" options={['android', 'ios', 'harmony'].map((p) => ({ value: p, label: p }))} /></Form.Item>
        <Space>
          <Form.Item label="Lowest client version" name="clientVersionMin"><Input placeholder="10.1.0" /></Form.Item>
          <Form.Item label="Highest client version" name="clientVersionMax"><Input placeholder="10.9.9" /></Form.Item>
        </Space>
        <Form.Item label="Package file">
          <Upload accept=".zip,.amr" maxCount={1} fileList={files} beforeUpload={(f) => { setFiles([{ uid: f.uid, name: f.name, originFileObj: f, status: 'done' }]); return false; }} onRemove={() => setFiles([])}>
            <Button icon={<UploadOutlined />}>{t('selectFile')}</Button>
          </Upload>
        </Form.Item>
        {progress !== undefined && <Progress percent={progress} aria-label="Upload progress" />}
      </Form>
    </Modal>
  );
}

function VersionsModal({ program, onClose }: { program?: MiniProgram; onClose: () => void }) {
  const { message } = App.useApp();
  const [items, setItems] = useState<Package[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    if (!program) return;
    try {
      setItems((await api.listPackages(program.miniProgramId)).items);
    } catch (err) {
      setError(detail(err));
    }
  }, [program]);
  useEffect(() => { setItems(undefined); setError(undefined); void load(); }, [load]);
  return (
    <Modal open={Boolean(program)} width={860} title={`Versions · ${program?.name ?? ''}`} onCancel={onClose} footer={<Button onClick={onClose}>Close</Button>} destroyOnHidden>
      {error && <Alert type="error" showIcon role="alert" message={error} />}
      <Table<Package> rowKey="version" size="small" loading={!items && !error} dataSource={items ?? []} pagination={false}
        columns={[
          { title: 'Version', dataIndex: 'version' },
          { title: 'Status', dataIndex: 'status', render: (s: string) => <Tag color={s === 'released' ? 'green' : undefined}>{s}</Tag> },
          { title: 'Size', dataIndex: 'size', render: (n: number) => `${(n / 1024).toFixed(1)} KiB` },
          { title: 'Main URL', dataIndex: 'mainUrl' },
          { title: 'SHA-256', dataIndex: 'sha256', render: (s: string) => <code title={s}>{s.slice(0, 12)}…</code> },
          {
            title: 'Operation', key: 'op', render: (_, p) => (
              <Button type="link" size="small" disabled={p.status === 'released'} onClick={async () => {
                try {
                  await api.releasePackage(program!.miniProgramId, p.version);
                  void message.success(`Released ${p.version}.`);
                  await load();
                } catch (err) {
                  void message.error(detail(err));
                }
              }}>Release</Button>
            ),
          },
        ]} />
    </Modal>
  );
}
