import type { CSSProperties, ReactNode } from 'react';
import { Alert, Button } from 'antd';
import { useI18n } from '../i18n/i18n';
import { fieldRulesZh, problemsEn, problemsWithParamsEn, problemsWithParamsZh, problemsZh, unknownProblemZh } from '../i18n/messages';
import { ApiError, type ProblemCode } from './client';
import { toApiError } from './use-request';

/** What the console says about a problem: its own message for the code, and the server's `detail` when it adds to it. */
export interface ProblemText {
  message: string;
  detail?: string;
}

/** Messages a screen uses instead of the catalogue's for some codes (on sign-in, 401 means a wrong password). */
export type ProblemOverrides = Partial<Record<ProblemCode, string>>;

/** A sentence with every `{name}` filled from params, or undefined when one is missing. */
function withParams(sentence: string | undefined, params: Record<string, string | number> | undefined): string | undefined {
  if (!sentence || !params) return undefined;
  let complete = true;
  const text = sentence.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (params[k] === undefined) complete = false;
    return String(params[k] ?? '');
  });
  return complete ? text : undefined;
}

/**
 * The one way to turn a problem into words: the message for its code in the UI's language (from the catalogue
 * of `@mpop/contracts`, see messages.ts), with the specifics the server names in `params`. The server's `detail`
 * (English) is shown beside it only in English, or when the console does not know the code (a newer server): then
 * the message is the server's title in English, and in Chinese a sentence that names the code, so a Chinese page
 * never leads with English while the server's detail stays readable below it.
 */
export function useProblemText(): (err: unknown, overrides?: ProblemOverrides) => ProblemText {
  const { lang } = useI18n();
  return (err, overrides) => {
    const e = err instanceof ApiError ? err : toApiError(err);
    const catalogue: Record<string, string> = lang === 'zh' ? problemsZh : problemsEn;
    const specific: Record<string, string> = lang === 'zh' ? problemsWithParamsZh : problemsWithParamsEn;
    // Own keys only: a code such as `constructor` is not a message.
    const known = Object.hasOwn(catalogue, e.code);
    const unknown = (lang === 'zh' && withParams(unknownProblemZh, { code: e.code })) || e.problem.title;
    const message = overrides?.[e.code] ?? (known ? (withParams(specific[e.code], e.problem.params) ?? catalogue[e.code]) : unknown);
    const detail = lang === 'en' ? e.problem.detail?.trim() : known ? undefined : e.problem.detail?.trim() || e.problem.title;
    return { message, detail: detail && detail !== message ? detail : undefined };
  };
}

/** What a refused field breaks, in Chinese, from the rule and its specifics (a generic sentence for another rule). */
export function fieldRuleZh(error: { rule?: string; params?: Record<string, string | number> } | undefined): string {
  const sentence = (error?.rule && fieldRulesZh[error.rule]) || fieldRulesZh.other;
  return withParams(sentence, error?.params ?? {}) ?? fieldRulesZh.other;
}

/** The errors to set on a form field for a problem placed next to it: the message, then the specifics. */
export const fieldErrors = (text: ProblemText): string[] => (text.detail ? [text.message, text.detail] : [text.message]);

/** A problem shown in place (a page that could not load, a dialog that could not save), with an optional Retry. */
export function ProblemAlert({
  error,
  overrides,
  onRetry,
  title,
  style,
}: {
  error: unknown;
  overrides?: ProblemOverrides;
  onRetry?: () => void;
  /** What failed ("The list could not be loaded."), shown before the problem's own message. */
  title?: string;
  style?: CSSProperties;
}): ReactNode {
  const { t } = useI18n();
  const describe = useProblemText();
  if (!error) return null;
  const text = describe(error, overrides);
  // The server's detail is English whatever the page's language: marked so, for screen readers.
  const description = [
    title && <div key="message">{text.message}</div>,
    text.detail && (
      <div key="detail" lang="en">
        {text.detail}
      </div>
    ),
  ];
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      message={title ?? text.message}
      description={title || text.detail ? description : undefined}
      style={{ marginBottom: 16, ...style }}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

/**
 * Shows a problem under the form fields it names (`errors[].path`), in the console's words for its code with
 * the server's specifics. @returns whether it was placed (else show it with a <ProblemAlert>).
 */
export function usePlaceOnFields(): <F extends string>(
  form: { setFields: (fields: { name: F; errors: string[] }[]) => void },
  err: unknown,
  fields: readonly F[],
) => boolean {
  const describe = useProblemText();
  const { lang } = useI18n();
  return (form, err, fields) => {
    if (!(err instanceof ApiError)) return false;
    const named = fields.filter((f) => err.fieldMessage(f) !== undefined);
    if (named.length === 0) return false;
    const text = describe(err);
    form.setFields(
      named.map((name) => {
        // A validation problem's own message is per field ("must NOT have more than 64 characters"); in Chinese it
        // is said from the rule the server names, never in the server's English.
        const specific =
          err.code === 'VALIDATION_FAILED'
            ? `${text.message} ${name}: ${lang === 'zh' ? fieldRuleZh(err.problem.errors?.find((e) => e.path === name)) : err.fieldMessage(name)}`
            : undefined;
        return { name, errors: specific ? [specific] : fieldErrors(text) };
      }),
    );
    return true;
  };
}
