import { Button, Form, type FormInstance, Input, InputNumber, Space, Typography, Upload } from 'antd';
import { DeleteOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { DEVICE_ID_PATTERN, MAX_WHITELIST_DEVICES } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { parseDeviceIds } from './release-api';
import { useReleaseText } from './release-messages';
import { PercentInput } from './PercentInput';

const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);

export type WhitelistFile = { name: string; ids: string[] };

/** The share of a gray release and its scheduled steps. */
export function ShareAndSteps({ form }: { form: FormInstance }) {
  const r = useReleaseText();
  return (
    <>
      <Form.Item name="percent" label={r('share')} extra={r('shareHelp')}>
        <PercentInput label={r('share')} />
      </Form.Item>
      <Form.Item label={r('steps')} extra={r('stepsHelp')}>
        <Form.List name="steps">
          {(fields, { add, remove }) => (
            <Space direction="vertical" style={{ width: '100%' }}>
              {fields.map((field, i) => (
                <Space key={field.key} align="start">
                  <Form.Item
                    name={[field.name, 'percent']}
                    noStyle
                    rules={[
                      { required: true, message: r('stepRequired') },
                      {
                        validator: async (_, value) => {
                          const all = form.getFieldValue('steps') as { percent?: number }[];
                          const before = i === 0 ? form.getFieldValue('percent') : all[i - 1]?.percent;
                          if (value !== undefined && before !== undefined && Number(value) < Number(before))
                            throw new Error(r('stepMustRise'));
                        },
                      },
                    ]}
                  >
                    <InputNumber min={0} max={100} precision={2} addonAfter="%" aria-label={`${r('stepPercent')} ${i + 1}`} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'at']} noStyle rules={[{ required: true, message: r('stepRequired') }]}>
                    <Input type="datetime-local" aria-label={`${r('stepAt')} ${i + 1}`} style={{ width: 230 }} />
                  </Form.Item>
                  <Button icon={<DeleteOutlined />} aria-label={`${r('removeStep')} ${i + 1}`} onClick={() => remove(field.name)} />
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ percent: 100 })} disabled={fields.length >= 20}>
                {r('addStep')}
              </Button>
            </Space>
          )}
        </Form.List>
      </Form.Item>
    </>
  );
}

/** The device whitelist: pasted IDs and an uploaded text file, checked together. */
export function WhitelistField({
  form,
  file,
  setFile,
  count,
}: {
  form: FormInstance;
  file?: WhitelistFile;
  setFile: (f?: WhitelistFile) => void;
  count: number;
}) {
  const r = useReleaseText();
  const format = useFormat();
  return (
    <>
      <Form.Item
        name="whitelist"
        label={r('whitelist')}
        extra={
          <>
            {r('whitelistHelp')} {count > 0 && <strong>{r('whitelistCount', { count: format.number(count) })}</strong>}
          </>
        }
        rules={[
          {
            // From the value being checked, not the last render's list: a submit may come before the re-render.
            validator: async (_, value?: string) => {
              const ids = parseDeviceIds(`${value ?? ''}\n${file?.ids.join('\n') ?? ''}`);
              const bad = ids.filter((d) => !DEVICE_ID.test(d));
              if (bad.length) throw new Error(r('whitelistInvalid', { ids: bad.slice(0, 3).join(', ') }));
              if (ids.length > MAX_WHITELIST_DEVICES) throw new Error(r('whitelistTooMany', { count: ids.length }));
            },
          },
        ]}
      >
        <Input.TextArea rows={3} placeholder={r('whitelistPlaceholder')} aria-label={r('whitelist')} />
      </Form.Item>
      <Space style={{ marginTop: -12, marginBottom: 16 }}>
        <Upload
          accept=".txt,.csv,text/plain"
          showUploadList={false}
          beforeUpload={async (f) => {
            setFile({ name: f.name, ids: parseDeviceIds(await f.text()) });
            void form.validateFields(['whitelist']).catch(() => undefined);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />}>{r('uploadWhitelist')}</Button>
        </Upload>
        {file && (
          <Typography.Text>
            {r('whitelistFile', { file: file.name, count: format.number(file.ids.length) })}{' '}
            <Button type="link" size="small" onClick={() => setFile(undefined)}>
              {r('removeFile')}
            </Button>
          </Typography.Text>
        )}
      </Space>
    </>
  );
}
