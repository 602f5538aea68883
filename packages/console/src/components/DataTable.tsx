import './data-table.css';
import { type CSSProperties, type Key, type ReactNode, useLayoutEffect, useRef, useState } from 'react';
import { Empty, Grid, Spin, theme } from 'antd';
import { Pager, type PagerProps } from './Pager';

type Breakpoint = 'sm' | 'md' | 'lg' | 'xl' | 'xxl';

export interface Column<T> {
  key: string;
  title: ReactNode;
  render: (row: T, index: number) => ReactNode;
  /** Shown only from this screen width up (columns a 1024 px screen can do without). */
  from?: Breakpoint;
  hidden?: boolean;
  nowrap?: boolean;
  /**
   * Kept in view at the right edge while the rest scrolls: never pushed off-screen. The Operation column (key
   * `operation`) is fixed unless it says `fixed: false`; several fixed columns stand side by side.
   */
  fixed?: 'right' | false;
}

export interface DataTableProps<T> {
  /** What the table lists, for screen readers. */
  label: string;
  rowKey: (row: T) => Key;
  columns: Column<T>[];
  rows: T[] | undefined;
  loading?: boolean;
  /** Shown in place of rows when there are none (an Empty with an action); a plain "No data" by default. */
  empty?: ReactNode;
  pagination?: PagerProps | false;
}

const isFixed = <T,>(c: Column<T>) => c.fixed === 'right' || (c.fixed === undefined && c.key === 'operation');

/**
 * The console's one table, for pages and dialogs alike: a plain, accessible <table> in the look of antd's Table,
 * with pagination below, an empty state, and the Operation column kept in view. antd's Table brings a tree, a select
 * and virtual scrolling into the first download of a page (about 85 KB gzipped); the lists here need none of that,
 * and the Host App page must load within its budget.
 */
export function DataTable<T>({ label, rowKey, columns, rows, loading = false, empty, pagination }: DataTableProps<T>) {
  const { token } = theme.useToken();
  const screens = Grid.useBreakpoint();
  const shown = columns.filter((c) => !c.hidden && (!c.from || screens[c.from]));
  // Fixed columns stand side by side at the right edge: each is offset by the widths of those after it.
  const head = useRef<HTMLTableRowElement>(null);
  const [insets, setInsets] = useState<number[]>([]);
  useLayoutEffect(() => {
    const cells = [...(head.current?.children ?? [])] as HTMLElement[];
    const next: number[] = [];
    let right = 0;
    for (let i = shown.length - 1; i >= 0; i--) {
      next[i] = right;
      if (isFixed(shown[i])) right += cells[i]?.offsetWidth ?? 0;
    }
    if (next.some((v, i) => v !== insets[i])) setInsets(next);
  });
  const cell: CSSProperties = {
    padding: `${token.paddingSM}px ${token.paddingSM}px`,
    borderBottom: `1px solid ${token.colorBorderSecondary}`,
    textAlign: 'start',
    verticalAlign: 'middle',
  };
  const stickyRight = (i: number): CSSProperties => ({
    position: 'sticky',
    insetInlineEnd: insets[i] ?? 0,
    zIndex: 1,
    boxShadow: isFixed(shown[i - 1] ?? ({} as Column<T>)) ? undefined : `-6px 0 6px -6px ${token.colorSplit}`,
  });
  const data = rows ?? [];
  return (
    <div>
      <Spin spinning={loading}>
        <div style={{ overflowX: 'auto' }}>
          <table
            aria-label={label}
            aria-busy={loading}
            className="mpop-table"
            style={
              {
                width: '100%',
                borderCollapse: 'separate',
                borderSpacing: 0,
                fontSize: token.fontSize,
                color: token.colorText,
                '--mpop-row-hover': token.colorFillAlter,
              } as CSSProperties
            }
          >
            <thead>
              <tr ref={head}>
                {shown.map((c, i) => (
                  <th
                    key={c.key}
                    scope="col"
                    style={{
                      ...cell,
                      ...(isFixed(c) ? stickyRight(i) : {}),
                      background: token.colorFillAlter,
                      fontWeight: token.fontWeightStrong,
                      color: token.colorTextHeading,
                      whiteSpace: 'nowrap',
                      borderStartStartRadius: i === 0 ? token.borderRadiusLG : undefined,
                      borderStartEndRadius: i === shown.length - 1 ? token.borderRadiusLG : undefined,
                    }}
                  >
                    {c.title}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.map((row, index) => (
                <tr key={rowKey(row)}>
                  {shown.map((c, i) => (
                    <td
                      key={c.key}
                      style={{
                        ...cell,
                        whiteSpace: c.nowrap || isFixed(c) ? 'nowrap' : undefined,
                        ...(isFixed(c) ? { ...stickyRight(i), background: token.colorBgContainer } : {}),
                      }}
                    >
                      {c.render(row, index)}
                    </td>
                  ))}
                </tr>
              ))}
              {data.length === 0 && (
                <tr>
                  <td colSpan={shown.length} style={{ ...cell, padding: token.paddingLG, textAlign: 'center' }}>
                    {loading ? (
                      <div style={{ height: 48 }} />
                    ) : empty === undefined ? (
                      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
                    ) : (
                      empty
                    )}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </Spin>
      {pagination && <Pager {...pagination} />}
    </div>
  );
}
