import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { renderWithProviders } from '../test/render';
import { DataTable } from './DataTable';

type Row = { id: string; name: string };
const columns = [
  { key: 'name', title: 'Name', render: (r: Row) => r.name },
  { key: 'createdAt', title: 'Created at', fixed: 'right' as const, render: () => 'today' },
  { key: 'operation', title: 'Operation', render: () => <button type="button">Edit</button> },
];

describe('DataTable, the one table of the console', () => {
  it('keeps the Operation column in view without being told, beside other fixed columns', () => {
    renderWithProviders(<DataTable<Row> label="Things" rowKey={(r) => r.id} columns={columns} rows={[{ id: '1', name: 'One' }]} />);
    const [name, created, operation] = within(screen.getByRole('table', { name: 'Things' })).getAllByRole('columnheader');
    expect(name.style.position).toBe('');
    expect(created.style.position).toBe('sticky');
    expect(operation.style.position).toBe('sticky');
    expect(screen.getByRole('cell', { name: 'Edit' }).style.position).toBe('sticky');
  });

  it('says there is nothing when there are no rows, or what the page says instead', () => {
    const { unmount } = renderWithProviders(<DataTable<Row> label="Things" rowKey={(r) => r.id} columns={columns} rows={[]} />);
    expect(screen.getAllByText('No data').length).toBeGreaterThan(0);
    unmount();
    renderWithProviders(<DataTable<Row> label="Things" rowKey={(r) => r.id} columns={columns} rows={[]} empty={<p>Add one</p>} />);
    expect(screen.getByText('Add one')).toBeTruthy();
  });

  it('pages below the rows, with the total', () => {
    renderWithProviders(
      <DataTable<Row>
        label="Things"
        rowKey={(r) => r.id}
        columns={columns}
        rows={[{ id: '1', name: 'One' }]}
        pagination={{ current: 2, pageSize: 10, total: 25, onChange: () => undefined, showTotal: (n) => `${n} things` }}
      />,
    );
    expect(screen.getByText('25 things')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Page 2' }).getAttribute('aria-current')).toBe('page');
  });
});
