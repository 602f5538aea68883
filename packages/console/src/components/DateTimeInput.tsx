import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import { useDayjsLocale } from '../i18n/use-dayjs-locale';

const VALUE_FORMAT = 'YYYY-MM-DDTHH:mm';

/**
 * A date and time (to the minute) in the console's language, as a form field: its value is local time written
 * `2026-12-24T09:30`, as `<input type="datetime-local">` gives it, so the form reads it with `new Date(value)`.
 * The calendar's month and weekday names follow the console's language (Chinese in 简体中文).
 */
export function DateTimeInput({
  value,
  onChange,
  ...rest
}: {
  value?: string;
  onChange?: (value: string | undefined) => void;
  'aria-label'?: string;
  style?: React.CSSProperties;
}) {
  const ready = useDayjsLocale();
  return (
    <DatePicker
      key={String(ready)}
      showTime={{ format: 'HH:mm' }}
      format="YYYY-MM-DD HH:mm"
      value={value ? dayjs(value) : null}
      onChange={(d) => onChange?.(d ? d.format(VALUE_FORMAT) : undefined)}
      {...rest}
    />
  );
}
