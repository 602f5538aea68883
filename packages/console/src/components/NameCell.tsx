import type { ReactNode } from 'react';
import { Tooltip } from 'antd';

/**
 * A name in a table cell: cut with an ellipsis past `maxWidth`, the whole name in a tooltip, so a long unbroken name
 * cannot push the other columns, and the Operation column, off-screen. Screen readers read the whole name.
 */
export function NameCell({
  name,
  maxWidth = 280,
  strong,
  children,
}: {
  name: string;
  maxWidth?: number;
  strong?: boolean;
  children?: ReactNode;
}) {
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', maxWidth: '100%' }}>
      <Tooltip title={name}>
        <span
          data-testid="name-cell"
          style={{
            display: 'inline-block',
            maxWidth,
            overflow: 'hidden',
            textOverflow: 'ellipsis',
            whiteSpace: 'nowrap',
            verticalAlign: 'bottom',
            fontWeight: strong ? 600 : undefined,
          }}
        >
          {name}
        </span>
      </Tooltip>
      {children}
    </span>
  );
}
