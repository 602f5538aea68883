import { type ReactNode, useEffect, useState } from 'react';
import { Input, Space } from 'antd';
import { ProblemAlert } from '../api/problem';
import { useI18n } from '../i18n/i18n';
import { DataTable, type DataTableProps } from './DataTable';

export interface ListSearch {
  /** The search box's label and placeholder ("Enter the app name"). */
  label: string;
  /** The query the list shows (from the URL: back and forward in the browser change it). */
  query: string;
  onSearch: (query: string) => void;
}

/**
 * The wiring every list page shares: a search box and the page's actions above, the problem of a failed load with
 * Retry, then the table with its pagination and empty state. The search box keeps what is typed until it is
 * searched, and follows the query when the URL changes it.
 */
export function ListView<T>({
  search,
  actions,
  error,
  onRetry,
  ...table
}: DataTableProps<T> & {
  search?: ListSearch;
  actions?: ReactNode;
  error?: unknown;
  onRetry?: () => void;
}) {
  const { t } = useI18n();
  return (
    <>
      {(search || actions) && (
        <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
          {search ? <SearchBox {...search} /> : <span />}
          {actions}
        </Space>
      )}
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={onRetry} />
      <DataTable<T> {...table} empty={error ? null : table.empty} />
    </>
  );
}

function SearchBox({ label, query, onSearch }: ListSearch) {
  const { t } = useI18n();
  const [value, setValue] = useState(query);
  useEffect(() => setValue(query), [query]);
  return (
    <Input.Search
      aria-label={label}
      placeholder={label}
      allowClear
      enterButton={t('search')}
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onSearch={(v) => onSearch(v.trim())}
      style={{ width: 360, maxWidth: '100%' }}
    />
  );
}
