import type { Rule } from 'antd/es/form';
import { NAME_MAX } from '@mpop/contracts/constants';
import type { useI18n } from '../../i18n/i18n';

/**
 * The rules of a mini program's name field: required, and the server's limit (NAME_MAX characters once trimmed),
 * checked at the field so the dialog says it before the server does.
 */
export const miniProgramNameRules = (t: ReturnType<typeof useI18n>['t']): Rule[] => [
  { required: true, whitespace: true, message: t('miniProgramNameRequired') },
  {
    validator: (_, v: string) =>
      (v ?? '').trim().length > NAME_MAX ? Promise.reject(new Error(t('miniProgramNameTooLong', { max: NAME_MAX }))) : Promise.resolve(),
  },
];
