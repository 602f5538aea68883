import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Col, Form, Input, InputNumber, Radio, Row, Select, Slider, Space, Switch, Typography, Upload } from 'antd';
import { DeleteOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import {
  DEVICE_ID_PATTERN,
  MAX_RELEASE_NOTE,
  MAX_WHITELIST_DEVICES,
  type MiniProgram,
  type Release,
  type ReleaseBody,
} from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useFeedback } from '../../components/feedback';
import { DateTimeInput } from '../../components/DateTimeInput';
import { FormModal } from '../../components/FormModal';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { parseDeviceIds, releaseApi, servedVersion, supersededBy } from './release-api';

interface Values {
  audience: 'all' | 'gray';
  percent: number;
  steps: { percent?: number; at?: string }[];
  whitelist: string;
  scope: 'all' | 'some';
  hostApps: string[];
  mandatory: boolean;
  note: string;
}

const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);
const hostKey = (workspaceId: string, appId: string) => `${workspaceId}/${appId}`;

/**
 * Release a version: to every device at once, or as a gray release (share, scheduled steps, device whitelist pasted
 * or uploaded, host-app scope), with the mandatory switch and a note. Always confirmed with a summary of who gets what.
 */
export function ReleaseDialog({
  program,
  version,
  onClose,
  onReleased,
}: {
  program?: MiniProgram;
  version?: string;
  onClose: () => void;
  onReleased: (release: Release) => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const { modal } = useFeedback();
  const [form] = Form.useForm<Values>();
  /** The mini program as the server states it now (authorised host apps, rollout), read when the dialog opens. */
  const [state, setState] = useState<MiniProgram>();
  const [history, setHistory] = useState<Release[]>([]);
  const [file, setFile] = useState<{ name: string; ids: string[] }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [hostOptions, setHostOptions] = useState<{ value: string; label: string }[]>([]);
  const labels = useRef(new Map<string, string>());
  const open = Boolean(program && version);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset whenever another version is picked
  useEffect(() => {
    if (!program || !version) return;
    form.resetFields();
    setFile(undefined);
    setError(undefined);
    setState(program);
    setHistory([]);
    releaseApi.list(program.miniProgramId).then(
      (res) => setHistory(res.items),
      () => undefined, // the summary then says less; the release itself reports any problem
    );
    api.listMiniPrograms().then(
      (res) => setState(res.items.find((m) => m.miniProgramId === program.miniProgramId) ?? program),
      () => undefined, // the summary then uses what the list showed; the release itself reports any problem
    );
    void searchHosts('');
  }, [program, version]);

  const searchHosts = async (query: string) => {
    try {
      const page = await api.listHostApps({ query: query || undefined, pageSize: 50 });
      const options = page.items.map((h) => ({
        value: hostKey(h.workspaceId, h.appId),
        label: `${h.name} (${h.appId} · ${h.workspaceId})`,
      }));
      for (const o of options) labels.current.set(o.value, o.label);
      setHostOptions(options);
    } catch {
      setHostOptions([]);
    }
  };

  const audience = Form.useWatch('audience', form) ?? 'all';
  const scope = Form.useWatch('scope', form) ?? 'all';
  const whitelistText = Form.useWatch('whitelist', form) ?? '';
  const devices = useMemo(() => parseDeviceIds(`${whitelistText}\n${file?.ids.join('\n') ?? ''}`), [whitelistText, file]);
  const fmt = format.dateTime;

  const submit = async () => {
    const v = await form.validateFields().catch(() => undefined);
    if (!v || !program || !version) return;
    const gray = v.audience === 'gray';
    const devices = parseDeviceIds(`${v.whitelist ?? ''}\n${file?.ids.join('\n') ?? ''}`);
    const hostApps =
      v.scope === 'some'
        ? v.hostApps.map((k) => {
            const slash = k.indexOf('/'); // workspace IDs have no slash
            return { workspaceId: k.slice(0, slash), appId: k.slice(slash + 1) };
          })
        : undefined;
    const steps = gray ? (v.steps ?? []).map((s) => ({ percent: Number(s.percent), at: new Date(String(s.at)).toISOString() })) : [];
    const body: ReleaseBody = {
      ...(gray || hostApps
        ? {
            rollout: {
              percent: gray ? v.percent : 100,
              ...(steps.length ? { steps } : {}),
              ...(gray && devices.length ? { devices } : {}),
              ...(hostApps ? { hostApps } : {}),
            },
          }
        : {}),
      ...(v.mandatory ? { mandatory: true } : {}),
      ...(v.note?.trim() ? { note: v.note.trim() } : {}),
    };
    // The server's rules for who keeps what, as the history shows them (a scope of host apps may keep another version).
    const previous = servedVersion(history, hostApps ?? null);
    const superseded = supersededBy(history, hostApps ?? null);
    const reachesNoDevice = (state ?? program).authorizedHostApps === 0;
    const who = hostApps ? v.hostApps.map((k) => labels.current.get(k) ?? k).join(', ') : t('everyHostApp');
    const lines = [
      gray && v.percent < 100
        ? t('summaryShare', { percent: v.percent, hostApps: who, version })
        : t('summaryAll', { hostApps: who, version }),
      ...steps.map((s) => t('summaryStep', { at: fmt(s.at), percent: s.percent })),
      ...(gray && devices.length ? [t('summaryWhitelist', { count: format.number(devices.length) })] : []),
      ...(gray && v.percent < 100 ? [previous ? t('summaryOthers', { previous }) : t('summaryOthersNothing')] : []),
      ...(hostApps ? [t('summaryOutside')] : []),
      ...(v.mandatory ? [t('summaryMandatory')] : []),
      ...superseded.map((s) => t('summarySupersede', { version: s.version })),
    ];
    modal.confirm({
      title: t('confirmRelease', { version }),
      width: 560,
      content: (
        <>
          {reachesNoDevice && <Alert type="warning" showIcon role="alert" message={t('noHostAppWarning')} style={{ marginBottom: 12 }} />}
          <ul style={{ paddingLeft: 18, margin: 0 }} aria-label={t('confirmRelease', { version })}>
            {lines.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ),
      okText: t('release'),
      cancelText: t('cancel'),
      onOk: async () => {
        setBusy(true);
        setError(undefined);
        try {
          onReleased(await releaseApi.release(program.miniProgramId, version, body));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      },
    });
  };

  return (
    <FormModal
      open={open}
      width={760}
      title={t('releaseTitle', { version: version ?? '', name: program?.name ?? '' })}
      onCancel={onClose}
      onOk={submit}
      okText={t('release')}
      busy={busy}
      error={error}
    >
      {state?.authorizedHostApps === 0 && (
        <Alert type="warning" showIcon data-testid="no-host-app" message={t('noHostAppWarning')} style={{ marginBottom: 16 }} />
      )}
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ audience: 'all', percent: 10, steps: [], whitelist: '', scope: 'all', hostApps: [], mandatory: false, note: '' }}
      >
        <Form.Item name="audience" label={t('audience')}>
          <Radio.Group
            options={[
              { value: 'all', label: t('audienceAll') },
              { value: 'gray', label: t('audienceGray') },
            ]}
          />
        </Form.Item>
        {audience === 'gray' && (
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
                                const all = form.getFieldValue('steps') as Values['steps'];
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
            <Form.Item
              name="whitelist"
              label={t('whitelist')}
              extra={
                <>
                  {t('whitelistHelp')}{' '}
                  {devices.length > 0 && <strong>{t('whitelistCount', { count: format.number(devices.length) })}</strong>}
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
        )}
        <Form.Item name="scope" label={t('scope')}>
          <Radio.Group
            options={[
              { value: 'all', label: t('scopeAll') },
              { value: 'some', label: t('scopeSome') },
            ]}
          />
        </Form.Item>
        {scope === 'some' && (
          <Form.Item name="hostApps" rules={[{ required: true, type: 'array', min: 1, message: t('scopeRequired') }]}>
            <Select
              mode="multiple"
              aria-label={t('scope')}
              placeholder={t('scopePlaceholder')}
              showSearch
              filterOption={false}
              onSearch={(q) => void searchHosts(q)}
              options={hostOptions}
            />
          </Form.Item>
        )}
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="mandatory" label={t('mandatory')} valuePropName="checked" extra={t('mandatoryHelp')}>
              <Switch aria-label={t('mandatory')} />
            </Form.Item>
          </Col>
          <Col span={16}>
            <Form.Item name="note" label={t('note')}>
              <Input.TextArea rows={2} maxLength={MAX_RELEASE_NOTE} showCount aria-label={t('note')} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </FormModal>
  );
}

/** A share of devices: a slider with the usual marks and an exact number beside it. */
function PercentInput({ value, onChange, label }: { value?: number; onChange?: (v: number) => void; label: string }) {
  return (
    <Row gutter={16} align="middle">
      <Col flex="auto">
        <Slider
          min={0}
          max={100}
          value={value}
          onChange={(v) => onChange?.(v)}
          marks={{ 0: '0', 10: '10', 25: '25', 50: '50', 100: '100' }}
          aria-label={label}
        />
      </Col>
      <Col>
        <InputNumber
          min={0}
          max={100}
          precision={2}
          value={value}
          onChange={(v) => v !== null && onChange?.(Number(v))}
          addonAfter="%"
          aria-label={`${label} (number)`}
        />
      </Col>
    </Row>
  );
}
