import { addMessages } from './i18n';

/**
 * The words of a version's review details (its automatic checks and what changed since the last release): a section
 * of the console's one catalogue that loads with the dialogs that show them (ReviewDetails.tsx), out of the first
 * download. The review states shown in lists stay core words (open-platform-messages.ts). A key without its
 * Chinese fails the type check.
 */
export const reviewEn = {
  checkPass: 'Pass',
  checkWarn: 'Warning',
  checkFail: 'Fail',
  checksNone: 'No checks were recorded for this version.',
  changesSince: 'Change since {version}',
  changesFirst: 'Change since the last release: none released yet, every file is new.',
  filesAdded: 'Files added',
  filesRemoved: 'Files removed',
  filesChanged: 'Files changed',
  sizeDelta: 'Size change',
  permissionsAdded: 'Permissions added',
  domainsAdded: 'Domains added',
  nothing: 'none',
};

export const reviewZh: Record<keyof typeof reviewEn, string> = {
  checkPass: '通过',
  checkWarn: '警告',
  checkFail: '未通过',
  checksNone: '此版本没有检查记录。',
  changesSince: '相对 {version} 的变更',
  changesFirst: '相对上次发布的变更：尚未发布过版本，所有文件均为新增。',
  filesAdded: '新增文件',
  filesRemoved: '删除文件',
  filesChanged: '修改文件',
  sizeDelta: '大小变化',
  permissionsAdded: '新增权限',
  domainsAdded: '新增域名',
  nothing: '无',
};

addMessages(reviewEn, reviewZh);
