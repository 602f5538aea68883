import { Table, Typography } from 'antd';
import type { Adoption } from '@mpop/contracts';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/autopilot-messages';

/** The failures of the window by version and reason, as the devices gave it, most first. */
export function FailuresByReason({ failures }: { failures: Adoption['failures'] }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <div data-testid="failures-by-reason" style={{ marginTop: 16 }}>
      <Typography.Title level={5}>{t('failuresByReason')}</Typography.Title>
      <Table
        size="small"
        rowKey={(f) => `${f.version}\n${f.reason ?? ''}`}
        pagination={false}
        dataSource={failures}
        locale={{ emptyText: t('failuresEmpty') }}
        columns={[
          { title: t('version'), dataIndex: 'version', width: 140 },
          {
            title: t('failureReasonColumn'),
            dataIndex: 'reason',
            render: (reason: string | null) => reason ?? <Typography.Text type="secondary">{t('failureNoReason')}</Typography.Text>,
          },
          { title: t('failureCount'), dataIndex: 'count', align: 'right', width: 120, render: (n: number) => format.number(n) },
        ]}
      />
    </div>
  );
}
