import { Button, Space } from 'antd';
import { type Lang, useI18n } from '../i18n/i18n';

const LANGS: { value: Lang; label: string }[] = [
  { value: 'en', label: 'EN' },
  { value: 'zh', label: '中文' },
];

/** EN | 中文: the UI's language (remembered in this browser). */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Space.Compact aria-label={t('language')} role="group">
      {LANGS.map((l) => (
        <Button
          key={l.value}
          size="small"
          autoInsertSpace={false}
          type={lang === l.value ? 'primary' : 'default'}
          aria-pressed={lang === l.value}
          onClick={() => setLang(l.value)}
        >
          {l.label}
        </Button>
      ))}
    </Space.Compact>
  );
}
