import { useEffect, useState } from 'react';
import { Button, Form, Input, Modal, Progress, Select, Space, Upload, type UploadFile } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import type { MiniProgram } from '@mpop/contracts';
import { PACKAGE_VERSION_PATTERN } from '@mpop/contracts/constants';
import { ProblemAlert } from '../../api/problem';
import { useI18n } from '../../i18n/i18n';
import { uploadPackage } from './upload';
import { ReleaseSignatureField } from '../../components/ReleaseSignatureField';

/** Upload a package version of a mini program (with progress): the Mini Programs page and the Developer Backend. */
export function UploadModal({ program, onClose, onDone }: { program?: MiniProgram; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{
    version: string;
    platform?: string;
    clientVersionMin?: string;
    clientVersionMax?: string;
    releaseSignature?: string;
    package?: unknown;
  }>();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [progress, setProgress] = useState<number>();
  const [error, setError] = useState<unknown>();
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
      form.setFields([{ name: 'package', errors: [t('packageFileRequired')] }]);
      return;
    }
    const data = new FormData();
    data.append('version', v.version.trim());
    for (const k of ['platform', 'clientVersionMin', 'clientVersionMax', 'releaseSignature'] as const)
      if (v[k]) data.append(k, String(v[k]).trim());
    data.append('package', file, file.name);
    setError(undefined);
    setProgress(0);
    try {
      await uploadPackage(program.miniProgramId, data, setProgress);
      onDone();
    } catch (err) {
      setProgress(undefined);
      setError(err);
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
      <ProblemAlert error={error} />
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
        <ReleaseSignatureField miniProgramId={program?.miniProgramId} />
        <Form.Item label={t('packageFile')} name="package" required>
          <Upload
            accept=".zip,.amr"
            maxCount={1}
            fileList={files}
            beforeUpload={(f) => {
              form.setFields([{ name: 'package', errors: [] }]);
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
