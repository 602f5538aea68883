import { useCallback } from 'react';
import { useI18n } from '../../i18n/i18n';

/** The words of the autopilot (Release dialog, Releases view, adoption's failures), in both languages of the console. */
const en = {
  audienceAutopilot: 'Autopilot: step by step while devices launch it',
  steps: 'Steps (%)',
  stepsHelp: 'Rising shares of devices, the last one 100, separated by commas.',
  stepsInvalid: 'Give rising percents above 0, ending at 100, such as 1, 10, 50, 100.',
  minMinutes: 'Each step lasts at least (minutes)',
  minDevices: 'Devices that must launch it per step',
  maxFailureRate: 'Most failures allowed (%)',
  onFailure: 'Above that',
  onFailurePause: 'Pause',
  onFailureRollback: 'Roll back',
  plan: 'It starts at {first} % and moves to {rest} % once each step has lasted {minutes} minutes and {devices} devices launched it; if more than {rate} % of the devices that report it fail, it {action} at once.',
  planOne: 'It goes to every device at once ({first} %).',
  planPause: 'pauses',
  planRollback: 'rolls back',
  summaryAutopilot: 'The autopilot moves it on: {plan}',
  title: 'Autopilot',
  status: 'Step {step} of {steps} ({percent} %) since {since}',
  figures: '{devices} of {minDevices} devices launched it · {rate} % failed (at most {max} %)',
  decisions: 'Decisions',
  'decision.waiting': 'Waiting',
  'decision.advanced': 'Advanced',
  'decision.completed': 'Completed',
  'decision.paused': 'Paused',
  'decision.rolled-back': 'Rolled back',
  decisionLine: 'Step {step}: {devices} devices, {rate} % failed',
  noDecision: 'No decision yet.',
  failuresByReason: 'Failures by reason',
  failureReason: 'Reason',
  failureNoReason: '(none given)',
  failureCount: 'Failures',
  failuresEmpty: 'No failure reported in this window.',
};

type Key = keyof typeof en;

const zh: Record<Key, string> = {
  audienceAutopilot: '自动驾驶：随设备启动情况逐步放量',
  steps: '放量步骤（%）',
  stepsHelp: '逐步升高的设备比例，最后一步为 100，用逗号分隔。',
  stepsInvalid: '请输入大于 0、逐步升高并以 100 结束的比例，例如 1, 10, 50, 100。',
  minMinutes: '每一步至少持续（分钟）',
  minDevices: '每一步需要启动它的设备数',
  maxFailureRate: '允许的最高失败率（%）',
  onFailure: '超过时',
  onFailurePause: '暂停',
  onFailureRollback: '回滚',
  plan: '从 {first}% 开始，每一步持续 {minutes} 分钟且有 {devices} 台设备启动后，依次放量到 {rest}%；若上报的设备中失败超过 {rate}%，立即{action}。',
  planOne: '一次发布到所有设备（{first}%）。',
  planPause: '暂停',
  planRollback: '回滚',
  summaryAutopilot: '由自动驾驶放量：{plan}',
  title: '自动驾驶',
  status: '第 {step}/{steps} 步（{percent}%），自 {since} 起',
  figures: '{devices}/{minDevices} 台设备已启动 · 失败率 {rate}%（上限 {max}%）',
  decisions: '决策记录',
  'decision.waiting': '等待中',
  'decision.advanced': '已放量',
  'decision.completed': '已全量',
  'decision.paused': '已暂停',
  'decision.rolled-back': '已回滚',
  decisionLine: '第 {step} 步：{devices} 台设备，失败率 {rate}%',
  noDecision: '尚无决策。',
  failuresByReason: '按原因统计的失败',
  failureReason: '原因',
  failureNoReason: '（未提供）',
  failureCount: '失败次数',
  failuresEmpty: '此时间范围内没有失败上报。',
};

export type AutopilotTextKey = Key;

/** `a(key, vars)` in the console's current language. */
export function useAutopilotText() {
  const { lang } = useI18n();
  return useCallback(
    (key: Key, vars?: Record<string, string | number>) => {
      const text = (lang === 'zh' ? zh : en)[key];
      return vars ? text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? '')) : text;
    },
    [lang],
  );
}

/** Rising percents above 0 ending at 100, from `1, 10, 50, 100`; undefined when the text is not that. */
export function parseSteps(text: string | undefined): number[] | undefined {
  const steps = (text ?? '')
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
  const ok = steps.length > 0 && steps.length <= 10 && steps.every((p, i) => p > 0 && p <= 100 && (i === 0 || p > steps[i - 1]));
  return ok && steps.at(-1) === 100 ? steps : undefined;
}

/** Rounds a rate (0..1) to a percent with at most one decimal. */
export const ratePercent = (rate: number) => Math.round(rate * 1000) / 10;
