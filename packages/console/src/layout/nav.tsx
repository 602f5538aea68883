import type { ReactNode } from 'react';
import {
  ApartmentOutlined,
  AppstoreAddOutlined,
  AppstoreOutlined,
  ApiOutlined,
  AuditOutlined,
  CloudUploadOutlined,
  FileSearchOutlined,
  KeyOutlined,
  LinkOutlined,
  SafetyCertificateOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { Access } from '../auth/use-role';
import type { MessageKey } from '../i18n/messages';

export type NavGroup = 'app-management' | 'open-platform' | 'administration' | 'developer';

export interface NavEntry {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  /**
   * Who may open the page: the lowest platform role, or `member` (the Developer Backend). The menu shows it, and
   * the frame lets its address in, only for them.
   */
  access: Access;
  group: NavGroup;
}

/** The menu's groups in order, with their headings: the Admin Backend's three, then the Developer Backend. */
export const NAV_GROUPS: { key: NavGroup; label: MessageKey }[] = [
  { key: 'app-management', label: 'appManagement' },
  { key: 'open-platform', label: 'openPlatform' },
  { key: 'administration', label: 'administration' },
  { key: 'developer', label: 'developerBackend' },
];

/** Every page of the signed-in console, in menu order. */
export const NAV: NavEntry[] = [
  { path: '/host-apps', label: 'hostApp', icon: <AppstoreOutlined />, access: 'viewer', group: 'app-management' },
  { path: '/mini-programs', label: 'miniPrograms', icon: <CloudUploadOutlined />, access: 'viewer', group: 'app-management' },
  { path: '/organisations', label: 'organisations', icon: <ApartmentOutlined />, access: 'viewer', group: 'open-platform' },
  { path: '/associations', label: 'associationRequests', icon: <LinkOutlined />, access: 'viewer', group: 'open-platform' },
  { path: '/review-queue', label: 'reviewQueue', icon: <FileSearchOutlined />, access: 'viewer', group: 'open-platform' },
  { path: '/users', label: 'users', icon: <TeamOutlined />, access: 'admin', group: 'administration' },
  { path: '/tokens', label: 'apiTokens', icon: <KeyOutlined />, access: 'viewer', group: 'administration' },
  { path: '/audit-log', label: 'auditLog', icon: <AuditOutlined />, access: 'viewer', group: 'administration' },
  { path: '/signing-jobs', label: 'signingJobs', icon: <SafetyCertificateOutlined />, access: 'viewer', group: 'administration' },
  { path: '/webhooks', label: 'webhooks', icon: <ApiOutlined />, access: 'admin', group: 'administration' },
  { path: '/developer/mini-programs', label: 'myMiniPrograms', icon: <AppstoreAddOutlined />, access: 'member', group: 'developer' },
  { path: '/developer/associations', label: 'associationRequests', icon: <LinkOutlined />, access: 'member', group: 'developer' },
  { path: '/developer/tokens', label: 'apiTokens', icon: <KeyOutlined />, access: 'member-only', group: 'developer' },
];

/** The page an address belongs to (its own, or the page it lies under: an adoption view under Mini Programs). */
export const navEntryOf = (pathname: string) => NAV.find((n) => pathname === n.path || pathname.startsWith(`${n.path}/`));

/** Where a user starts: the Host App page with a platform role, the Developer Backend without one. */
export const homePath = (hasPlatformRole: boolean) => (hasPlatformRole ? '/host-apps' : '/developer/mini-programs');
