import { useEffect } from 'react';
import { message, Modal } from 'antd';
import { registerFeedback } from './feedback';

/** The antd hooks behind useFeedback(); rendered by FeedbackRoot once a page needs them. */
export function FeedbackHost() {
  const [modal, modalHolder] = Modal.useModal();
  const [messages, messageHolder] = message.useMessage();
  useEffect(() => {
    registerFeedback({ modal, message: messages });
    return () => registerFeedback(undefined);
  }, [modal, messages]);
  return (
    <>
      {modalHolder}
      {messageHolder}
    </>
  );
}
