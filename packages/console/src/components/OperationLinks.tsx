import { Button, Dropdown, Grid, Space, Tooltip } from 'antd';
import { DownOutlined } from '@ant-design/icons';
import { useI18n } from '../i18n/i18n';

export interface Operation {
  key: string;
  label: string;
  onClick: () => void;
  danger?: boolean;
  /** Shown but not usable; `tooltip` says why. */
  disabled?: boolean;
  tooltip?: string;
}

/**
 * The Operation column of a list: the first actions as links, the rest in a "More" menu, so the column stays
 * narrow on a 1024 px screen. How many are inline follows the screen width (one, or two on wide screens), or
 * `inline`. A single leftover action is shown inline rather than hidden behind "More".
 */
export function OperationLinks({ operations, inline }: { operations: Operation[]; inline?: number }) {
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const n = inline ?? (screens.xxl ? 2 : 1);
  const shown = operations.length <= n + 1 ? operations : operations.slice(0, n);
  const rest = operations.slice(shown.length);
  return (
    <Space size={0} wrap>
      {shown.map((o) => {
        const link = (
          <Button key={o.key} type="link" size="small" danger={o.danger} disabled={o.disabled} onClick={o.onClick}>
            {o.label}
          </Button>
        );
        // A disabled button fires no mouse events: the wrapper carries the tooltip.
        return o.tooltip ? (
          <Tooltip key={o.key} title={o.tooltip}>
            <span>{link}</span>
          </Tooltip>
        ) : (
          link
        );
      })}
      {rest.length > 0 && (
        <Dropdown
          trigger={['click']}
          menu={{
            items: rest.map((o) => ({
              key: o.key,
              danger: o.danger,
              disabled: o.disabled,
              label: o.tooltip ? <Tooltip title={o.tooltip}>{o.label}</Tooltip> : o.label,
              onClick: o.onClick,
            })),
          }}
        >
          <Button type="link" size="small" aria-label={t('more')}>
            {t('more')} <DownOutlined />
          </Button>
        </Dropdown>
      )}
    </Space>
  );
}
