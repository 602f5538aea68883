import { useEffect, useState } from 'react';
import { useI18n } from './i18n';

let zhCn: Promise<unknown> | undefined;

/**
 * Makes dayjs know the calendar words of the console's language, which antd's date pickers take from it (month and
 * weekday names, the first day of the week); antd's own Chinese strings come with the ConfigProvider. The Chinese
 * words load with the first date picker shown in Chinese, not with the page. @returns whether they are there yet
 * (a picker keyed on it redraws in Chinese once they are).
 */
export function useDayjsLocale(): boolean {
  const { lang } = useI18n();
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    if (lang !== 'zh') return;
    let live = true;
    zhCn ??= import('dayjs/locale/zh-cn');
    void zhCn.then(() => live && setLoaded(true));
    return () => {
      live = false;
    };
  }, [lang]);
  return lang !== 'zh' || loaded;
}
