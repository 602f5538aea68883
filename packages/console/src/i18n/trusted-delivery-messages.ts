import { addMessages } from './i18n';

/**
 * The words of signed gate answers on a host app's Basic Information (generation, manifest lifetime, replaced keys
 * and "Retire now"). A section of the console's one catalogue that loads with the Basic Information dialog, out of
 * the first download; a key without its Chinese fails the type check.
 */
export const trustedDeliveryEn = {
  signedAnswers: 'Signed answers',
  answerGeneration: 'Generation',
  answerGenerationHelp: 'Raised by every change that can change what devices get; devices refuse an answer below one they accepted.',
  manifestLifetime: 'Answer lifetime',
  manifestLifetimeValue: '{hours} h (signed again after {half} h)',
  signingKey: 'Signing key (SHA-256)',
  replacedKeys: 'Replaced keys',
  noReplacedKeys: 'None',
  keyStillAccepted: 'Still accepted',
  keyRetired: 'Retired {at}',
  retireNow: 'Retire now',
  retireKeyTitle: 'Retire key {fingerprint}…?',
  retireKeyContent:
    'Devices refuse its signatures, for good, as soon as they get the next answer; the key can never be uploaded again. Do it when the key may have leaked, once every device has the packages signed with the new key.',
  keyRetiredDone: 'Key {fingerprint}… is retired.',
};

export const trustedDeliveryZh: Record<keyof typeof trustedDeliveryEn, string> = {
  signedAnswers: '签名应答',
  answerGeneration: '代数',
  answerGenerationHelp: '每次可能改变设备所得内容的变更都会使其增大；设备拒绝低于已接受代数的应答。',
  manifestLifetime: '应答有效期',
  manifestLifetimeValue: '{hours} 小时（{half} 小时后重新签名）',
  signingKey: '签名密钥（SHA-256）',
  replacedKeys: '已替换的密钥',
  noReplacedKeys: '无',
  keyStillAccepted: '仍被接受',
  keyRetired: '已于 {at} 停用',
  retireNow: '立即停用',
  retireKeyTitle: '确定停用密钥 {fingerprint}…？',
  retireKeyContent:
    '设备收到下一次应答后即永久拒绝该密钥的签名，且该密钥再也不能上传。请在密钥可能泄露、且所有设备都已拿到新密钥签名的安装包后执行。',
  keyRetiredDone: '密钥 {fingerprint}… 已停用。',
};

addMessages(trustedDeliveryEn, trustedDeliveryZh);
