import type { CSSProperties } from 'react';
import { Button, Dropdown, Space, theme } from 'antd';
import { DownOutlined, LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useI18n } from '../i18n/i18n';

export interface PagerProps {
  current: number;
  pageSize: number;
  total: number;
  /** Offered page sizes; none: no size choice. */
  pageSizeOptions?: number[];
  onChange: (page: number, pageSize: number) => void;
  showTotal?: (total: number) => string;
}

/** The pages to offer: the first, the last, and two on each side of the current one; gaps as null. */
export function pageItems(current: number, pages: number): (number | null)[] {
  const want = new Set([1, pages, current - 2, current - 1, current, current + 1, current + 2].filter((p) => p >= 1 && p <= pages));
  const sorted = [...want].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (typeof last === 'number' && p - last > 1) out.push(null);
    out.push(p);
  }
  return out;
}

/** Pagination below a list: total, previous / pages / next, page size. */
export function Pager({ current, pageSize, total, pageSizeOptions, onChange, showTotal }: PagerProps) {
  const { t } = useI18n();
  const { token } = theme.useToken();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(current, pages);
  const box: CSSProperties = { minWidth: 32, paddingInline: 6 };
  return (
    <nav
      aria-label={t('pagination')}
      className="mpop-pager"
      style={
        {
          display: 'flex',
          flexWrap: 'wrap',
          gap: 8,
          justifyContent: 'flex-end',
          alignItems: 'center',
          marginTop: token.margin,
          '--mpop-focus': token.colorPrimary,
        } as CSSProperties
      }
    >
      {showTotal && <span style={{ color: token.colorTextSecondary }}>{showTotal(total)}</span>}
      <Space size={4} wrap>
        <Button
          size="small"
          type="text"
          style={box}
          icon={<LeftOutlined />}
          aria-label={t('previousPage')}
          disabled={page <= 1}
          onClick={() => onChange(page - 1, pageSize)}
        />
        {pageItems(page, pages).map((p, i) =>
          p === null ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: gaps have no identity but their place
            <span key={`gap-${i}`} aria-hidden style={{ color: token.colorTextQuaternary }}>
              …
            </span>
          ) : (
            <Button
              key={p}
              size="small"
              style={box}
              type={p === page ? 'primary' : 'text'}
              ghost={p === page}
              aria-label={t('pageN', { page: p })}
              aria-current={p === page ? 'page' : undefined}
              onClick={() => p !== page && onChange(p, pageSize)}
            >
              {p}
            </Button>
          ),
        )}
        <Button
          size="small"
          type="text"
          style={box}
          icon={<RightOutlined />}
          aria-label={t('nextPage')}
          disabled={page >= pages}
          onClick={() => onChange(page + 1, pageSize)}
        />
      </Space>
      {pageSizeOptions && pageSizeOptions.length > 1 && (
        <Dropdown
          trigger={['click']}
          menu={{
            selectable: true,
            selectedKeys: [String(pageSize)],
            items: pageSizeOptions.map((s) => ({ key: String(s), label: t('perPage', { size: s }) })),
            onClick: ({ key }) => onChange(1, Number(key)),
          }}
        >
          <Button size="small" aria-label={t('pageSize')}>
            {t('perPage', { size: pageSize })} <DownOutlined />
          </Button>
        </Dropdown>
      )}
    </nav>
  );
}
