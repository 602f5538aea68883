import type { HostApp } from '@mpop/contracts';

/** A configured, enabled host app, as the list and its dialogs receive it. */
export const SHOP_APP: HostApp = {
  appId: 'SHOP000000000',
  workspaceId: 'default',
  tenantId: 'ABCDEFGH',
  name: 'Shop',
  source: 'manual',
  devConfigured: true,
  enabled: true,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
};
