import { useEffect } from 'react';
import { Button, DatePicker, Empty, Form, Input, Select, Space } from 'antd';
import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import type { AuditEvent, AuditFilter } from '@mpop/contracts';
import { type AuditAction, AuditActions } from '@mpop/contracts/constants';
import { useSearchParams } from 'react-router';
import { api } from '../../api/endpoints';
import { ListView } from '../../components/ListView';
import { PagePanel } from '../../components/PagePanel';
import { useRequest } from '../../api/use-request';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useDayjsLocale } from '../../i18n/use-dayjs-locale';
import { auditActionsEn, auditActionsZh } from '../../i18n/audit-actions';

const PAGE_SIZES = [20, 50, 100];
const FILTERS = ['actor', 'action', 'target', 'from', 'to'] as const;

interface FilterForm {
  actor?: string;
  action?: AuditAction;
  target?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

/** The filters and the page live in the URL, so a reload or a shared link shows the same events. */
function useAuditParams() {
  const [params, setParams] = useSearchParams();
  const filter: AuditFilter = {};
  for (const k of FILTERS) {
    const v = params.get(k);
    if (!v) continue;
    // An action the console does not know (an old link) is left out rather than refused by the server.
    if (k === 'action') {
      if ((AuditActions as readonly string[]).includes(v)) filter.action = v as AuditAction;
    } else filter[k] = v;
  }
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const size = Number.parseInt(params.get('pageSize') ?? '', 10);
  const pageSize = PAGE_SIZES.includes(size) ? size : 20;
  const set = (next: AuditFilter, nextPage = 1, nextSize = pageSize) => {
    const out = new URLSearchParams();
    for (const k of FILTERS) if (next[k]) out.set(k, next[k] as string);
    if (nextPage > 1) out.set('page', String(nextPage));
    if (nextSize !== 20) out.set('pageSize', String(nextSize));
    setParams(out);
  };
  return { filter, page, pageSize, set, key: params.toString() };
}

/** Administration > Audit Log: every change, filtered by actor, action, target and time; pages; CSV export. */
export function AuditLogPage() {
  const { t, lang } = useI18n();
  const calendarReady = useDayjsLocale();
  const format = useFormat();
  const labels: Record<string, string> = lang === 'zh' ? auditActionsZh : auditActionsEn;
  const audit = useAuditParams();
  const [form] = Form.useForm<FilterForm>();
  const { data, error, loading, reload } = useRequest(
    (signal) => api.auditEvents({ ...audit.filter, page: audit.page, pageSize: audit.pageSize }, signal),
    [audit.key],
  );

  // The form shows what the URL says (after a reload, or back and forward in the browser).
  // biome-ignore lint/correctness/useExhaustiveDependencies: audit.key stands for the filter
  useEffect(() => {
    const f = audit.filter;
    form.setFieldsValue({
      actor: f.actor,
      action: f.action as AuditAction | undefined,
      target: f.target,
      range: f.from || f.to ? [f.from ? dayjs(f.from) : null, f.to ? dayjs(f.to) : null] : null,
    });
  }, [audit.key, form]);

  const apply = (v: FilterForm) =>
    audit.set({
      actor: v.actor?.trim() || undefined,
      action: v.action,
      target: v.target?.trim() || undefined,
      from: v.range?.[0]?.toISOString(),
      to: v.range?.[1]?.toISOString(),
    });
  const filtered = FILTERS.some((k) => audit.filter[k]);

  return (
    <PagePanel
      title={t('auditLog')}
      extra={
        <Button icon={<DownloadOutlined />} href={api.auditCsvUrl(audit.filter)} download>
          {t('exportCsv')}
        </Button>
      }
    >
      <Form form={form} layout="inline" onFinish={apply} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="actor">
          <Input placeholder={t('actorFilter')} aria-label={t('actorFilter')} allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="action">
          <Select<AuditAction>
            placeholder={t('anyAction')}
            aria-label={t('action')}
            allowClear
            showSearch
            optionFilterProp="label"
            style={{ width: 220 }}
            options={AuditActions.map((a) => ({ value: a, label: labels[a] }))}
          />
        </Form.Item>
        <Form.Item name="target">
          <Input placeholder={t('targetFilter')} aria-label={t('targetFilter')} allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="range">
          <DatePicker.RangePicker key={String(calendarReady)} showTime allowEmpty={[true, true]} aria-label={t('timeRange')} />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" icon={<SearchOutlined />}>
            {t('search')}
          </Button>
          {filtered && <Button onClick={() => audit.set({})}>{t('clearFilters')}</Button>}
        </Space>
      </Form>
      <ListView<AuditEvent>
        error={error}
        onRetry={reload}
        label={t('auditLog')}
        rowKey={(e) => `${e.at}|${e.actor}|${e.action}|${e.target}`}
        loading={loading}
        rows={data?.items}
        empty={
          filtered ? (
            <Empty description={t('auditEmpty')}>
              <Button onClick={() => audit.set({})}>{t('clearFilters')}</Button>
            </Empty>
          ) : (
            <Empty description={t('auditEmptyAll')} />
          )
        }
        pagination={{
          current: audit.page,
          pageSize: audit.pageSize,
          total: data?.total ?? 0,
          pageSizeOptions: PAGE_SIZES,
          showTotal: (total) => t('totalItems', { total }),
          onChange: (p, s) => audit.set(audit.filter, s !== audit.pageSize ? 1 : p, s),
        }}
        columns={[
          { key: 'at', title: t('time'), nowrap: true, render: (e) => format.dateTime(e.at) },
          { key: 'actor', title: t('actor'), render: (e) => e.actor },
          {
            key: 'address',
            title: t('clientAddress'),
            render: (e) => (e.address ? <code style={{ wordBreak: 'break-all' }}>{e.address}</code> : null),
          },
          {
            key: 'action',
            title: t('action'),
            render: (e) => (
              <>
                {labels[e.action] ?? e.action}
                <div style={{ fontSize: 12, opacity: 0.55 }}>{e.action}</div>
              </>
            ),
          },
          { key: 'target', title: t('target'), render: (e) => <code style={{ wordBreak: 'break-all' }}>{e.target}</code> },
          {
            key: 'details',
            title: t('details'),
            from: 'lg',
            render: (e) =>
              e.details ? <span style={{ fontSize: 12, opacity: 0.65, wordBreak: 'break-word' }}>{JSON.stringify(e.details)}</span> : null,
          },
        ]}
      />
    </PagePanel>
  );
}
