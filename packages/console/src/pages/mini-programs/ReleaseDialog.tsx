import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Col, Form, Input, Radio, Row, Select, Switch } from 'antd';
import { MAX_RELEASE_NOTE, type MiniProgram, type Release, type ReleaseBody } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useFeedback } from '../../components/feedback';
import { FormModal } from '../../components/FormModal';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import '../../i18n/autopilot-messages';
import { parseDeviceIds, releaseApi, servedVersion, supersededBy } from './release-api';
import { AUTOPILOT_DEFAULTS, AutopilotFields, type AutopilotValues, toAutopilot, useAutopilotPlan } from './AutopilotFields';
import { ShareAndSteps, WhitelistField, type WhitelistFile } from './ReleaseGrayFields';

interface Values {
  audience: 'all' | 'gray' | 'autopilot';
  autopilot: AutopilotValues;
  percent: number;
  steps: { percent?: number; at?: string }[];
  whitelist: string;
  scope: 'all' | 'some';
  hostApps: string[];
  mandatory: boolean;
  note: string;
}

const hostKey = (workspaceId: string, appId: string) => `${workspaceId}/${appId}`;

/**
 * Release a version: to every device at once, as a gray release (share, scheduled steps), or steered by the autopilot;
 * with a device whitelist (pasted or uploaded), a host-app scope, the mandatory switch and a note. Always confirmed
 * with a summary of who gets what. The fields of each part are components of their own (ReleaseGrayFields,
 * AutopilotFields).
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
  const plan = useAutopilotPlan();
  const format = useFormat();
  const { modal } = useFeedback();
  const [form] = Form.useForm<Values>();
  /** The mini program as the server states it now (authorised host apps, rollout), read when the dialog opens. */
  const [state, setState] = useState<MiniProgram>();
  const [history, setHistory] = useState<Release[]>([]);
  const [file, setFile] = useState<WhitelistFile>();
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
    const autopilot = v.audience === 'autopilot' ? toAutopilot(v.autopilot) : undefined;
    const gray = v.audience === 'gray' || autopilot !== undefined;
    const percent = autopilot ? autopilot.steps[0] : v.percent;
    const devices = parseDeviceIds(`${v.whitelist ?? ''}\n${file?.ids.join('\n') ?? ''}`);
    const hostApps =
      v.scope === 'some'
        ? v.hostApps.map((k) => {
            const slash = k.indexOf('/'); // workspace IDs have no slash
            return { workspaceId: k.slice(0, slash), appId: k.slice(slash + 1) };
          })
        : undefined;
    const steps =
      v.audience === 'gray' ? (v.steps ?? []).map((s) => ({ percent: Number(s.percent), at: new Date(String(s.at)).toISOString() })) : [];
    const body: ReleaseBody = {
      ...(gray || hostApps
        ? {
            rollout: {
              percent: gray ? percent : 100,
              ...(steps.length ? { steps } : {}),
              ...(gray && devices.length ? { devices } : {}),
              ...(hostApps ? { hostApps } : {}),
            },
          }
        : {}),
      ...(v.mandatory ? { mandatory: true } : {}),
      ...(v.note?.trim() ? { note: v.note.trim() } : {}),
      ...(autopilot ? { autopilot } : {}),
    };
    // The server's rules for who keeps what, as the history shows them (a scope of host apps may keep another version).
    const previous = servedVersion(history, hostApps ?? null);
    const superseded = supersededBy(history, hostApps ?? null);
    const reachesNoDevice = (state ?? program).authorizedHostApps === 0;
    const who = hostApps ? v.hostApps.map((k) => labels.current.get(k) ?? k).join(', ') : t('everyHostApp');
    const lines = [
      gray && percent < 100 ? t('summaryShare', { percent, hostApps: who, version }) : t('summaryAll', { hostApps: who, version }),
      ...steps.map((s) => t('summaryStep', { at: fmt(s.at), percent: s.percent })),
      ...(autopilot ? [t('summaryAutopilot', { plan: plan(autopilot) })] : []),
      ...(gray && devices.length ? [t('summaryWhitelist', { count: format.number(devices.length) })] : []),
      ...(gray && percent < 100 ? [previous ? t('summaryOthers', { previous }) : t('summaryOthersNothing')] : []),
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
        initialValues={{
          audience: 'all',
          percent: 10,
          steps: [],
          autopilot: AUTOPILOT_DEFAULTS,
          whitelist: '',
          scope: 'all',
          hostApps: [],
          mandatory: false,
          note: '',
        }}
      >
        <Form.Item name="audience" label={t('audience')}>
          <Radio.Group
            options={[
              { value: 'all', label: t('audienceAll') },
              { value: 'gray', label: t('audienceGray') },
              { value: 'autopilot', label: t('audienceAutopilot') },
            ]}
          />
        </Form.Item>
        {audience === 'gray' && <ShareAndSteps form={form} />}
        {audience === 'autopilot' && <AutopilotFields />}
        {audience !== 'all' && <WhitelistField form={form} file={file} setFile={setFile} count={devices.length} />}
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
