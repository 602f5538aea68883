import { addMessages } from './i18n';

/**
 * Why a signing job failed, by its `errorCode` with its `errorParams`: a section of the console's one catalogue that
 * loads with the Signing Jobs page. A key without its Chinese fails the type check.
 */
export const signingEn = {
  'signingFailure.key-unusable':
    'The private key of host app {appId} (workspace {workspaceId}) could not be opened with the master key; upload the key again or restore MPOP_MASTER_KEY.',
  'signingFailure.key-cannot-sign': 'The private key of host app {appId} (workspace {workspaceId}) cannot sign; upload a valid key again.',
  'signingFailure.package-altered':
    'The package file of version {version} in the package store was changed since upload (its SHA-256 differs), so it was not signed. Upload the version again, or put the original file back.',
  'signingFailure.package-missing':
    'The package file of version {version} is missing from the package store; put the packages on storage every instance shares, or upload the version again.',
  'signingFailure.sign-failed': 'Signing version {version} for host app {appId} failed; the details are in the server log.',
  'signingFailure.stopped': 'Signing stopped; the details are in the server log.',
  /** A code the console does not know (a newer server); in English the server's own sentence is shown instead. */
  'signingFailure.other': 'Signing did not complete (error code {code}).',
};

export const signingZh: Record<keyof typeof signingEn, string> = {
  'signingFailure.key-unusable': '无法用主密钥打开宿主应用 {appId}（工作空间 {workspaceId}）的私钥；请重新上传私钥或恢复 MPOP_MASTER_KEY。',
  'signingFailure.key-cannot-sign': '宿主应用 {appId}（工作空间 {workspaceId}）的私钥无法签名；请重新上传有效的私钥。',
  'signingFailure.package-altered':
    '小程序包存储中版本 {version} 的文件在上传后被改动（SHA-256 不一致），因此未签名。请重新上传该版本，或放回原文件。',
  'signingFailure.package-missing': '小程序包存储中缺少版本 {version} 的文件；请把小程序包放在所有实例共享的存储上，或重新上传该版本。',
  'signingFailure.sign-failed': '为宿主应用 {appId} 签名版本 {version} 失败；详情见服务器日志。',
  'signingFailure.stopped': '签名已中止；详情见服务器日志。',
  'signingFailure.other': '签名未完成（错误代码 {code}）。',
};

addMessages(signingEn, signingZh);
