import { addMessages } from './i18n';

/**
 * The words of release keys (an organisation's own signing keys) and of the release signature each version
 * carries, in both languages of the console. A section of the console's one catalogue that loads with the screens that use
 * them (the initial bundle has a budget); a key without its Chinese fails the type check all the same.
 */
export const releaseKeysEn = {
  releaseKeys: 'Release keys',
  releaseKeysTitle: 'Release keys · {name}',
  releaseKeysIntro:
    'Public keys this organisation signs its packages with. The private key never leaves the organisation, so not even a stolen server can ship code in its name. Once a key is registered, every upload must carry a release signature (mpop sign).',
  releaseKeysEmpty: 'No release keys: uploads need no release signature.',
  addReleaseKey: 'Add release key',
  releaseKeyPem: 'Public key (PEM)',
  releaseKeyPemHelp: 'Paste the public key, or choose the file: "openssl pkey -in release.key -pubout" writes it. Never the private key.',
  releaseKeyPemRequired: 'Paste or choose a public key PEM.',
  releaseKeyChooseFile: 'Choose file',
  releaseKeyAdded: 'Added the {algorithm} release key {fingerprint}.',
  releaseKeyFingerprintLabel: 'Fingerprint (SHA-256)',
  algorithm: 'Algorithm',
  addedBy: 'Added by',
  removeReleaseKey: 'Remove',
  removeReleaseKeyTitle: 'Remove the release key {fingerprint}?',
  removeReleaseKeyContent:
    'Versions it signed keep their signature, but host apps built without this key refuse them. Remove a key once its successor has signed what must keep running.',
  releaseKeyRemoved: 'Removed the release key {fingerprint}.',
  releaseSignature: 'Release signature',
  releaseSignatureHelp:
    'Needed when the organisation has release keys: what "mpop sign --key release.key --mini-program {id} --version <version> <package.zip>" prints.',
  releaseSigned: 'Signed',
  releaseSignedHint: 'Signed with the release key {fingerprint}, checked at upload.',
  releaseKeyGone: 'Key removed',
  releaseKeyGoneHint:
    'Signed with the release key {fingerprint}, which the organisation has since removed: host apps built without it refuse this version.',
  releaseUnsigned: 'Unsigned',
  releaseUnsignedHint: 'Uploaded without a release signature: host apps that require one refuse it.',
};

type ReleaseKeysKey = keyof typeof releaseKeysEn;

export const releaseKeysZh: Record<ReleaseKeysKey, string> = {
  releaseKeys: '发布密钥',
  releaseKeysTitle: '发布密钥 · {name}',
  releaseKeysIntro:
    '该组织用于签名小程序包的公钥。私钥始终留在组织手中，即使服务器被盗，也无法以该组织的名义发布代码。登记密钥后，每次上传都必须附带发布签名（mpop sign）。',
  releaseKeysEmpty: '没有发布密钥：上传无需发布签名。',
  addReleaseKey: '添加发布密钥',
  releaseKeyPem: '公钥（PEM）',
  releaseKeyPemHelp: '粘贴公钥或选择文件："openssl pkey -in release.key -pubout" 可生成公钥。切勿提交私钥。',
  releaseKeyPemRequired: '请粘贴或选择公钥 PEM。',
  releaseKeyChooseFile: '选择文件',
  releaseKeyAdded: '已添加 {algorithm} 发布密钥 {fingerprint}。',
  releaseKeyFingerprintLabel: '指纹（SHA-256）',
  algorithm: '算法',
  addedBy: '添加人',
  removeReleaseKey: '移除',
  removeReleaseKeyTitle: '移除发布密钥 {fingerprint}？',
  removeReleaseKeyContent: '由它签名的版本保留签名，但未内置此密钥的宿主应用将拒绝这些版本。请在新密钥签好需要继续运行的版本后再移除。',
  releaseKeyRemoved: '已移除发布密钥 {fingerprint}。',
  releaseSignature: '发布签名',
  releaseSignatureHelp: '组织登记了发布密钥时必填："mpop sign --key release.key --mini-program {id} --version <版本> <包.zip>" 的输出。',
  releaseSigned: '已签名',
  releaseSignedHint: '由发布密钥 {fingerprint} 签名，上传时已校验。',
  releaseKeyGone: '密钥已移除',
  releaseKeyGoneHint: '由发布密钥 {fingerprint} 签名，但组织已移除该密钥：未内置它的宿主应用会拒绝此版本。',
  releaseUnsigned: '未签名',
  releaseUnsignedHint: '上传时没有发布签名：要求发布签名的宿主应用会拒绝它。',
};

addMessages(releaseKeysEn, releaseKeysZh);
