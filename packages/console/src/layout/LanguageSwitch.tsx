import { Segmented } from 'antd';
import { useI18n, type Lang } from '../i18n/i18n';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Segmented<Lang>
      aria-label={t('language')}
      size="small"
      value={lang}
      onChange={setLang}
      options={[
        { label: 'EN', value: 'en' },
        { label: '中文', value: 'zh' },
      ]}
    />
  );
}
