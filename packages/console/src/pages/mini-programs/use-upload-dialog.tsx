import { lazy, type ReactNode, useState } from 'react';
import type { MiniProgram } from '@mpop/contracts';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { useI18n } from '../../i18n/i18n';

// Loads when first opened: a visit to a list of mini programs needs the list first.
const UploadModal = lazy(() => import('./UploadModal').then((m) => ({ default: m.UploadModal })));

/**
 * The Upload Package dialog of a list of mini programs (the operators' Mini Programs and the developers' My Mini
 * Programs): `open(program)` shows it; once a version is uploaded it closes, says so and hands the program to
 * `onUploaded` (what comes next is the list's: both open the program's versions, each its own dialog).
 */
export function useUploadDialog(onUploaded: (program: MiniProgram) => void): {
  open: (program: MiniProgram) => void;
  dialog: ReactNode;
} {
  const { t } = useI18n();
  const { message } = useFeedback();
  const [program, setProgram] = useState<MiniProgram>();
  const dialog = (
    <LazyDialog open={Boolean(program)}>
      <UploadModal
        program={program}
        onClose={() => setProgram(undefined)}
        onDone={() => {
          setProgram(undefined);
          void message.success(t('packageUploaded'));
          if (program) onUploaded(program);
        }}
      />
    </LazyDialog>
  );
  return { open: setProgram, dialog };
}
