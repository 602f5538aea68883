import { lazy } from 'react';
import type { HostApp } from '@mpop/contracts';
import { useFeedback } from '../../components/feedback';
import { LazyDialog } from '../../components/LazyDialog';
import { useI18n } from '../../i18n/i18n';

// The dialogs load when first opened: the list is what a visit to the Host App page needs first.
const AddAppModal = lazy(() => import('./AddAppModal').then((m) => ({ default: m.AddAppModal })));
const AuthorizedMiniProgramsModal = lazy(() =>
  import('./AuthorizedMiniProgramsModal').then((m) => ({ default: m.AuthorizedMiniProgramsModal })),
);
const RenameModal = lazy(() => import('./RenameModal').then((m) => ({ default: m.RenameModal })));
const BasicInfoModal = lazy(() => import('./BasicInfoModal').then((m) => ({ default: m.BasicInfoModal })));
const DevConfigModal = lazy(() => import('./DevConfigModal').then((m) => ({ default: m.DevConfigModal })));
const SyncModal = lazy(() => import('./SyncModal').then((m) => ({ default: m.SyncModal })));
const ViewDevConfigModal = lazy(() => import('./ViewDevConfigModal').then((m) => ({ default: m.ViewDevConfigModal })));

/** The one dialog of the Host App page that is open, and for which app. */
export type HostAppDialog =
  | { kind: 'add' }
  | { kind: 'sync' }
  | { kind: 'info' | 'configure' | 'view' | 'authorize' | 'rename'; app: HostApp };

/**
 * The dialogs of the Host App page, one open at a time: each says what it did and hands on to the next step
 * (saving a development configuration shows it; an added app goes on to its configuration).
 */
export function HostAppDialogs({
  dialog,
  onOpen,
  onChanged,
}: {
  dialog: HostAppDialog | undefined;
  onOpen: (next: HostAppDialog | undefined) => void;
  /** The list changed: reload it. */
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const { message } = useFeedback();
  const close = () => onOpen(undefined);
  const appOf = (kind: HostAppDialog['kind']) => (dialog?.kind === kind && 'app' in dialog ? dialog.app : undefined);
  const [configuring, viewing, info, renaming, authorizing] = (['configure', 'view', 'info', 'rename', 'authorize'] as const).map(appOf);
  return (
    <>
      <LazyDialog open={dialog?.kind === 'add'}>
        <AddAppModal
          open={dialog?.kind === 'add'}
          onClose={close}
          onCreated={onChanged}
          onGoToDevConfig={(app) => onOpen({ kind: 'configure', app })}
        />
      </LazyDialog>
      <LazyDialog open={dialog?.kind === 'sync'}>
        <SyncModal
          open={dialog?.kind === 'sync'}
          onClose={close}
          onSynced={(app) => {
            close();
            void message.success(t('synced', { name: app.name }));
            onChanged();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(info)}>
        <BasicInfoModal app={info} onClose={close} />
      </LazyDialog>
      <LazyDialog open={Boolean(configuring)}>
        <DevConfigModal
          app={configuring}
          onClose={close}
          onSaved={() => {
            void message.success(t('devConfigSaved'));
            onChanged();
            onOpen(configuring && { kind: 'view', app: { ...configuring, devConfigured: true } });
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(viewing)}>
        <ViewDevConfigModal app={viewing} onClose={close} onMake={(app) => onOpen({ kind: 'configure', app })} />
      </LazyDialog>
      <LazyDialog open={Boolean(renaming)}>
        <RenameModal
          app={renaming}
          onClose={close}
          onRenamed={(app) => {
            close();
            void message.success(t('renamed', { name: app.name }));
            onChanged();
          }}
        />
      </LazyDialog>
      <LazyDialog open={Boolean(authorizing)}>
        <AuthorizedMiniProgramsModal app={authorizing} onClose={close} />
      </LazyDialog>
    </>
  );
}
