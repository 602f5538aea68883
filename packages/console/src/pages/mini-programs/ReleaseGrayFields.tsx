import { Button, Form, type FormInstance, Input, InputNumber, Space, Typography, Upload } from 'antd';
import { DeleteOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { DEVICE_ID_PATTERN, MAX_WHITELIST_DEVICES } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { parseDeviceIds } from './release-api';
import { PercentInput } from './PercentInput';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { DateTimeInput } from '../../components/DateTimeInput';

const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);

export type WhitelistFile = { name: string; ids: string[] };

/** The share of a gray release and its scheduled steps. */
export function ShareAndSteps({ form }: { form: FormInstance }) {
  const { t } = useI18n();
  return (
    <>
      <Form.Item name="percent" label={t('share')} extra={t('shareHelp')}>
        <PercentInput label={t('share')} />
      </Form.Item>
      <Form.Item label={t('steps')} extra={t('stepsHelp')}>
        <Form.List name="steps">
          {(fields, { add, remove }) => (
            <Space direction="vertical" style={{ width: '100%' }}>
              {fields.map((field, i) => (
                <Space key={field.key} align="start">
                  <Form.Item
                    name={[field.name, 'percent']}
                    noStyle
                    rules={[
                      { required: true, message: t('stepRequired') },
                      {
                        validator: async (_, value) => {
                          const all = form.getFieldValue('steps') as { percent?: number }[];
                          const before = i === 0 ? form.getFieldValue('percent') : all[i - 1]?.percent;
                          if (value !== undefined && before !== undefined && Number(value) < Number(before))
                            throw new Error(t('stepMustRise'));
                        },
                      },
                    ]}
                  >
                    <InputNumber min={0} max={100} precision={2} addonAfter="%" aria-label={`${t('stepPercent')} ${i + 1}`} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'at']} noStyle rules={[{ required: true, message: t('stepRequired') }]}>
                    <DateTimeInput aria-label={`${t('stepAt')} ${i + 1}`} style={{ width: 230 }} />
                  </Form.Item>
                  <Button icon={<DeleteOutlined />} aria-label={`${t('removeStep')} ${i + 1}`} onClick={() => remove(field.name)} />
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ percent: 100 })} disabled={fields.length >= 20}>
                {t('addStep')}
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
  const { t } = useI18n();
  const format = useFormat();
  return (
    <>
      <Form.Item
        name="whitelist"
        label={t('whitelist')}
        extra={
          <>
            {t('whitelistHelp')} {count > 0 && <strong>{t('whitelistCount', { count: format.number(count) })}</strong>}
          </>
        }
        rules={[
          {
            // From the value being checked, not the last render's list: a submit may come before the re-render.
            validator: async (_, value?: string) => {
              const ids = parseDeviceIds(`${value ?? ''}\n${file?.ids.join('\n') ?? ''}`);
              const bad = ids.filter((d) => !DEVICE_ID.test(d));
              if (bad.length) throw new Error(t('whitelistInvalid', { ids: bad.slice(0, 3).join(', ') }));
              if (ids.length > MAX_WHITELIST_DEVICES) throw new Error(t('whitelistTooMany', { count: ids.length }));
            },
          },
        ]}
      >
        <Input.TextArea rows={3} placeholder={t('whitelistPlaceholder')} aria-label={t('whitelist')} />
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
          <Button icon={<UploadOutlined />}>{t('uploadWhitelist')}</Button>
        </Upload>
        {file && (
          <Typography.Text>
            {t('whitelistFile', { file: file.name, count: format.number(file.ids.length) })}{' '}
            <Button type="link" size="small" onClick={() => setFile(undefined)}>
              {t('removeFile')}
            </Button>
          </Typography.Text>
        )}
      </Space>
    </>
  );
}
