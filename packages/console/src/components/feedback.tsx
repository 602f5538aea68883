import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import type { ModalFuncProps } from 'antd';

/** What pages ask of the feedback layer: short notices and confirmations (the antd message and modal hooks). */
export interface FeedbackApi {
  message: { success: (text: ReactNode) => void; error: (text: ReactNode) => void };
  modal: { confirm: (props: ModalFuncProps) => void };
}

let ready: FeedbackApi | undefined;
const waiting: ((api: FeedbackApi) => void)[] = [];
let load: (() => void) | undefined;

/** Called by the host once its hooks exist: runs what was asked before it loaded. */
export function registerFeedback(api: FeedbackApi | undefined) {
  ready = api;
  if (api) for (const call of waiting.splice(0)) call(api);
}

function withApi(call: (api: FeedbackApi) => void) {
  if (ready) call(ready);
  else {
    waiting.push(call);
    load?.();
  }
}

const feedback: FeedbackApi = {
  message: { success: (text) => withApi((a) => a.message.success(text)), error: (text) => withApi((a) => a.message.error(text)) },
  modal: { confirm: (props) => withApi((a) => a.modal.confirm(props)) },
};

/** Notices and confirmations for the signed-in pages. Their code loads the first time one is shown. */
export const useFeedback = (): FeedbackApi => feedback;

const FeedbackHost = lazy(() => import('./FeedbackHost').then((m) => ({ default: m.FeedbackHost })));

/**
 * Where notices and confirmations render, inside the theme and language of the console (antd's message and modal
 * hooks, as antd's App component would provide). Their code (dialogs, notices) is not part of a page's first
 * download: it loads when a page first asks for it.
 */
export function FeedbackRoot() {
  const [wanted, setWanted] = useState(waiting.length > 0);
  useEffect(() => {
    load = () => setWanted(true);
    if (waiting.length > 0) setWanted(true);
    return () => {
      load = undefined;
    };
  }, []);
  return wanted ? (
    <Suspense fallback={null}>
      <FeedbackHost />
    </Suspense>
  ) : null;
}
