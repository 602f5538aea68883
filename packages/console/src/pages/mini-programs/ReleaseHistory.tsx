import { Button, Progress, Tag } from 'antd';
import type { Release } from '@mpop/contracts';
import { DataTable } from '../../components/DataTable';
import { NameCell } from '../../components/NameCell';
import { useLocalPages } from '../../components/use-list-params';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/release-messages';
import { useReleaseScope } from './CurrentRelease';
import { ReleaseStateTag } from './ReleaseStatus';

/**
 * Every release of a mini program, newest first, ten a page. An earlier rollout still going for host apps that
 * newer releases do not reach can still be raised from here.
 */
export function ReleaseHistory({
  releases,
  loading,
  onRaise,
}: {
  releases: Release[] | undefined;
  loading: boolean;
  onRaise: (release: Release) => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const scope = useReleaseScope();
  const { rows, pagination } = useLocalPages(releases);
  const current = releases?.[0];
  return (
    <DataTable<Release>
      label={t('history')}
      rowKey={(rel) => rel.releaseId}
      loading={loading}
      rows={rows}
      pagination={pagination}
      columns={[
        { key: 'version', title: t('version'), nowrap: true, render: (rel) => rel.version },
        { key: 'state', title: t('status'), render: (rel) => <ReleaseStateTag release={rel} /> },
        {
          key: 'percent',
          title: t('percent'),
          render: (rel) => (
            <div style={{ minWidth: 120 }}>
              <Progress percent={rel.percent} size="small" format={(p) => `${p} %`} />
            </div>
          ),
        },
        { key: 'previousVersion', title: t('previousVersion'), from: 'xl', render: (rel) => rel.previousVersion ?? '—' },
        { key: 'hostApps', title: t('hostApps'), render: (rel) => scope(rel) },
        { key: 'devices', title: t('devices'), from: 'xl', render: (rel) => format.number(rel.devices) },
        { key: 'mandatory', title: t('mandatoryColumn'), from: 'xl', render: (rel) => (rel.mandatory ? t('yes') : t('no')) },
        {
          key: 'signing',
          title: t('signing'),
          render: (rel) => (rel.signing.total === 0 ? <Tag>{t('noHostApp')}</Tag> : `${rel.signing.done}/${rel.signing.total}`),
        },
        { key: 'note', title: t('note'), render: (rel) => (rel.note ? <NameCell name={rel.note} maxWidth={200} /> : '') },
        { key: 'createdBy', title: t('releasedBy'), render: (rel) => <NameCell name={rel.createdBy} maxWidth={160} /> },
        // Kept in view beside the Operation column, whatever the length of the note.
        { key: 'createdAt', title: t('createdAt'), fixed: 'right', render: (rel) => format.dateTime(rel.createdAt) },
        {
          key: 'operation',
          title: t('operation'),
          render: (rel) =>
            rel !== current && (rel.state === 'rolling-out' || rel.state === 'paused') ? (
              <Button size="small" type="link" onClick={() => onRaise(rel)}>
                {t('raise')}
              </Button>
            ) : null,
        },
      ]}
    />
  );
}
