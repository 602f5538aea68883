import { useState } from 'react';
import type { FormInstance } from 'antd';
import { ApiError } from './client';

/**
 * The submit of a dialog form: validate (field errors show on the form), call the API, and keep the problem for
 * a <ProblemAlert>, unless `onProblem` placed it (next to a field) and returned true.
 */
export function useFormSubmit<V>(form: FormInstance<V>, run: (values: V) => Promise<void>, onProblem?: (err: ApiError) => boolean) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setBusy(true);
    setError(undefined);
    try {
      await run(values);
    } catch (err) {
      if (!(err instanceof ApiError && onProblem?.(err))) setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { submit, busy, error, setError };
}
