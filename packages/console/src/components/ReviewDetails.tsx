import type { ReactNode } from 'react';
import { Col, Descriptions, Row, Space, Tag, Typography, theme } from 'antd';
import { CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled } from '@ant-design/icons';
import type { CheckOutcome, Review, ReviewState } from '@mpop/contracts';
import { useFormat } from '../i18n/format';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages';
import '../i18n/review-messages';

const STATE: Record<ReviewState, { label: MessageKey; color?: string }> = {
  draft: { label: 'reviewDraft' },
  'in-review': { label: 'reviewInReview', color: 'processing' },
  approved: { label: 'reviewApproved', color: 'success' },
  rejected: { label: 'reviewRejected', color: 'error' },
  withdrawn: { label: 'reviewWithdrawn', color: 'warning' },
};

/** A version's review state as a tag (`In review`, `Rejected`). */
export function ReviewStateTag({ state }: { state: ReviewState }) {
  const { t } = useI18n();
  return <Tag color={STATE[state].color}>{t(STATE[state].label)}</Tag>;
}

const OUTCOME: Record<CheckOutcome, { label: MessageKey; color: string; icon: ReactNode }> = {
  pass: { label: 'checkPass', color: 'success', icon: <CheckCircleFilled /> },
  warn: { label: 'checkWarn', color: 'warning', icon: <ExclamationCircleFilled /> },
  fail: { label: 'checkFail', color: 'error', icon: <CloseCircleFilled /> },
};

/** The outcome of the worst check (fail over warn over pass), for a one-tag summary in a list. */
export const worstOutcome = (checks: Review['checks']): CheckOutcome | undefined =>
  checks.some((c) => c.outcome === 'fail')
    ? 'fail'
    : checks.some((c) => c.outcome === 'warn')
      ? 'warn'
      : checks.length
        ? 'pass'
        : undefined;

export function OutcomeTag({ outcome }: { outcome: CheckOutcome }) {
  const { t } = useI18n();
  return (
    <Tag color={OUTCOME[outcome].color} icon={OUTCOME[outcome].icon}>
      {t(OUTCOME[outcome].label)}
    </Tag>
  );
}

/** The automatic checks of a version, each with its outcome and what it found. */
export function ReviewChecks({ checks }: { checks: Review['checks'] }) {
  const { t } = useI18n();
  const { token } = theme.useToken();
  if (checks.length === 0) return <Typography.Text type="secondary">{t('checksNone')}</Typography.Text>;
  return (
    <ul aria-label={t('checks')} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {checks.map((c) => (
        <li key={c.name} style={{ padding: `${token.paddingXS}px 0`, borderBottom: `1px solid ${token.colorBorderSecondary}` }}>
          <Space size={8} align="start">
            <OutcomeTag outcome={c.outcome} />
            <div>
              <strong>{c.name}</strong>
              <div style={{ color: token.colorTextSecondary, overflowWrap: 'anywhere' }}>{c.detail}</div>
            </div>
          </Space>
        </li>
      ))}
    </ul>
  );
}

const SHOWN_FILES = 50;

function Items({ items, highlight }: { items: string[]; highlight?: boolean }) {
  const { t } = useI18n();
  if (items.length === 0) return <Typography.Text type="secondary">{t('nothing')}</Typography.Text>;
  const shown = items.slice(0, SHOWN_FILES);
  return (
    <div style={{ maxHeight: 160, overflowY: 'auto' }}>
      {shown.map((f) => (
        <div key={f}>{highlight ? <Tag color="orange">{f}</Tag> : <code style={{ overflowWrap: 'anywhere' }}>{f}</code>}</div>
      ))}
      {items.length > shown.length && <Typography.Text type="secondary">+{items.length - shown.length}</Typography.Text>}
    </div>
  );
}

/** What changed since the version released last: files, size, and the permissions and domains it newly asks for. */
export function ReviewChanges({ changes }: { changes: Review['changes'] }) {
  const { t } = useI18n();
  const format = useFormat();
  const delta = changes.sizeDelta;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return (
    <Descriptions
      size="small"
      column={1}
      bordered
      title={
        <span style={{ fontSize: 14 }}>
          {changes.fromVersion ? t('changesSince', { version: changes.fromVersion }) : t('changesFirst')}
        </span>
      }
      items={[
        { key: 'added', label: t('filesAdded'), children: <Items items={changes.filesAdded} /> },
        { key: 'removed', label: t('filesRemoved'), children: <Items items={changes.filesRemoved} /> },
        { key: 'changed', label: t('filesChanged'), children: <Items items={changes.filesChanged} /> },
        { key: 'size', label: t('sizeDelta'), children: `${sign}${format.bytes(Math.abs(delta))}` },
        { key: 'permissions', label: t('permissionsAdded'), children: <Items items={changes.permissionsAdded} highlight /> },
        { key: 'domains', label: t('domainsAdded'), children: <Items items={changes.domainsAdded} highlight /> },
      ]}
    />
  );
}

/** The checks and the change since the last release, side by side (stacked on a narrow screen). */
export function ReviewSideBySide({ review }: { review: Review }) {
  const { t } = useI18n();
  return (
    <Row gutter={24}>
      <Col xs={24} lg={12}>
        <Typography.Title level={5} style={{ marginTop: 0 }}>
          {t('checks')}
        </Typography.Title>
        <ReviewChecks checks={review.checks} />
      </Col>
      <Col xs={24} lg={12}>
        <ReviewChanges changes={review.changes} />
      </Col>
    </Row>
  );
}
