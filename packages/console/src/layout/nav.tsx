import type { ReactNode } from 'react';
import type { Role } from '@mpop/contracts';
import {
  AppstoreOutlined,
  ApiOutlined,
  AuditOutlined,
  CloudUploadOutlined,
  KeyOutlined,
  SafetyCertificateOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { MessageKey } from '../i18n/messages';

export interface NavEntry {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  /** The lowest role that may open the page: the menu shows it, and the route lets it in, only from there. */
  role: Role;
  group: 'app-management' | 'administration';
}

/** Every page of the signed-in console, in menu order. */
export const NAV: NavEntry[] = [
  { path: '/host-apps', label: 'hostApp', icon: <AppstoreOutlined />, role: 'viewer', group: 'app-management' },
  { path: '/mini-programs', label: 'miniPrograms', icon: <CloudUploadOutlined />, role: 'viewer', group: 'app-management' },
  { path: '/users', label: 'users', icon: <TeamOutlined />, role: 'admin', group: 'administration' },
  { path: '/tokens', label: 'apiTokens', icon: <KeyOutlined />, role: 'viewer', group: 'administration' },
  { path: '/audit-log', label: 'auditLog', icon: <AuditOutlined />, role: 'viewer', group: 'administration' },
  { path: '/signing-jobs', label: 'signingJobs', icon: <SafetyCertificateOutlined />, role: 'viewer', group: 'administration' },
  { path: '/webhooks', label: 'webhooks', icon: <ApiOutlined />, role: 'admin', group: 'administration' },
];
