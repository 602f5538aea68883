import { Button, Space, Typography } from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import { useI18n } from '../i18n/i18n';
import { useFeedback } from './feedback';

/** Copies text to the clipboard; falls back to a hidden textarea where the Clipboard API is unavailable. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** A copy button with an accessible name ("Copy APPID"), so tests and screen readers find it. */
export function CopyButton({ value, label, showLabel = false }: { value: string; label: string; showLabel?: boolean }) {
  const { message } = useFeedback();
  const { t } = useI18n();
  return (
    <Button
      size="small"
      icon={<CopyOutlined />}
      aria-label={label}
      title={label}
      onClick={async () => {
        await copyText(value);
        void message.success(t('copied'));
      }}
    >
      {showLabel ? label : null}
    </Button>
  );
}

/** A value and its copy button. */
export function CopyField({ value, copyLabel, testId }: { value: string; copyLabel: string; testId?: string }) {
  return (
    <Space>
      <Typography.Text code data-testid={testId}>
        {value}
      </Typography.Text>
      <CopyButton value={value} label={copyLabel} />
    </Space>
  );
}
