import { addMessages } from './i18n';

/**
 * The words of patches (smaller downloads between versions): the patch jobs on the Signing Jobs page and the bytes
 * saved in adoption. A section of the console's one catalogue that loads with those screens, out of the first
 * download; a key without its Chinese fails the type check.
 */
export const patchEn = {
  patchJobs: 'Patch Jobs',
  patchJobsNote:
    'After a release, patches to its version are made in the background from the last 3 released versions, and kept only when smaller than half the package. A skipped or failed patch is only a warning: those devices download the full package.',
  patchJobsEmpty: 'No patch jobs yet. Releasing a second version of a mini program makes some.',
  patchVersions: 'Versions',
  patchSize: 'Patch size',
  patchQueued: 'Queued',
  patchRunning: 'Making',
  patchDone: 'Kept',
  patchSkipped: 'Not kept',
  patchFailed: 'Failed',
  'patchNote.too-large': 'The packages are larger than MPOP_PATCH_MAX_BYTES; devices download the full package.',
  'patchNote.not-smaller': 'A patch would not be smaller than half the package; devices download the full package.',
  'patchNote.missing': 'A package file is missing from the package store; devices download the full package.',
  'patchNote.altered': 'A package file in the package store has changed since upload; no patch was made.',
  'patchNote.failed': 'Making the patch failed (the details are in the server log); devices download the full package.',
  patchShare: '{percent} of the package',
  patchBytesSaved: 'Saved by patches',
  patchDownloads: 'Downloads by patch',
} as const;

export const patchZh: Record<keyof typeof patchEn, string> = {
  patchJobs: '差分包任务',
  patchJobsNote:
    '发布后，系统会在后台为该版本生成来自最近 3 个已发布版本的差分包，仅当差分包小于完整安装包的一半时才保留。未保留或生成失败只是警告：这些设备会下载完整安装包。',
  patchJobsEmpty: '暂无差分包任务。发布小程序的第二个版本后会生成。',
  patchVersions: '版本',
  patchSize: '差分包大小',
  patchQueued: '排队中',
  patchRunning: '生成中',
  patchDone: '已保留',
  patchSkipped: '未保留',
  patchFailed: '失败',
  'patchNote.too-large': '安装包大于 MPOP_PATCH_MAX_BYTES，设备将下载完整安装包。',
  'patchNote.not-smaller': '差分包不会小于完整安装包的一半，设备将下载完整安装包。',
  'patchNote.missing': '安装包存储中缺少安装包文件，设备将下载完整安装包。',
  'patchNote.altered': '安装包存储中的文件自上传后已被修改，未生成差分包。',
  'patchNote.failed': '差分包生成失败（详情见服务器日志），设备将下载完整安装包。',
  patchShare: '为安装包的 {percent}',
  patchBytesSaved: '差分包节省流量',
  patchDownloads: '差分包下载次数',
};

/** `t` for the patch words, in the console's current language. */

addMessages(patchEn, patchZh);
