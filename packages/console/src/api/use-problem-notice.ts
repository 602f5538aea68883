import { type ProblemOverrides, useProblemText } from './problem';
import { useFeedback } from '../components/feedback';

/** A problem of an action taken from a list (Delete, Revoke): a short-lived notice with the same words. */
export function useProblemNotice(): (err: unknown, overrides?: ProblemOverrides) => void {
  const { message } = useFeedback();
  const describe = useProblemText();
  return (err, overrides) => {
    const text = describe(err, overrides);
    void message.error(text.detail ? `${text.message} ${text.detail}` : text.message);
  };
}
