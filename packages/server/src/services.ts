import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { PgNotifyTransport } from './db/pg-notify-transport.js';
import type { Installation } from './installation.js';
import { ChangeBus } from './lib/change-bus.js';
import { ClusterIpcTransport } from './lib/cluster-ipc-transport.js';
import { PasswordHasher } from './lib/crypto.js';
import { AuthService } from './modules/auth/auth.service.js';
import { OidcService } from './modules/auth/oidc.service.js';
import { TokenService } from './modules/auth/token.service.js';
import { UserService } from './modules/auth/user.service.js';
import { EventsService } from './modules/events/events.service.js';
import { GateService } from './modules/gate/gate.service.js';
import { ManifestCache } from './modules/gate/manifest-cache.js';
import { HostAppService } from './modules/host-apps/host-app.service.js';
import { MiniProgramService } from './modules/mini-programs/mini-program.service.js';
import { MpaasSyncService } from './modules/mpaas/mpaas-sync.service.js';
import { ReleaseService } from './modules/releases/release.service.js';
import { ScheduledStepsService } from './modules/releases/scheduled-steps.service.js';
import { PoolManifestSigner } from './modules/signing/manifest-signer.js';
import { PatchMaker } from './modules/patches/patch-maker.js';
import { PackageSigner } from './modules/signing/package-signer.js';
import { SIGNING_QUIET_MS, SigningPool } from './modules/signing/signing-pool.js';
import { DEFAULT_DISPATCHER, type DispatcherOptions, WebhookDispatcher } from './modules/webhooks/dispatcher.js';
import { DatabaseOutbox, type Outbox } from './modules/webhooks/outbox.js';
import { WebhookService } from './modules/webhooks/webhook.service.js';
import { OrganisationService } from './modules/organisations/organisation.service.js';
import { AssociationService } from './modules/associations/association.service.js';
import { ReviewService } from './modules/mini-programs/review.service.js';
import { AutopilotRecorder } from './modules/autopilot/autopilot-recorder.js';
import { AutopilotService } from './modules/autopilot/autopilot.service.js';
import { ReleaseKeyService } from './modules/release-keys/release-key.service.js';

export interface Services {
  auth: AuthService;
  /** Single sign-on, when MPOP_OIDC_* configure it. */
  oidc?: OidcService;
  users: UserService;
  tokens: TokenService;
  hostApps: HostAppService;
  mpaasSync: MpaasSyncService;
  miniPrograms: MiniProgramService;
  releases: ReleaseService;
  signer: PackageSigner;
  /** Makes the patches releases queue, in the background (started by buildApp). */
  patches: PatchMaker;
  gate: GateService;
  events: EventsService;
  changes: ChangeBus;
  /** Events recorded for webhooks, in the transaction of the change that caused them. */
  outbox: Outbox;
  webhooks: WebhookService;
  /** Delivers the recorded events to the webhooks, in the background. */
  webhookDispatcher: WebhookDispatcher;
  /** The open platform: organisations and members, association requests, reviews of package versions. */
  organisations: OrganisationService;
  associations: AssociationService;
  reviews: ReviewService;
  /** Steers the releases that carry an autopilot; the recorder counts the devices of their steps. */
  autopilot: AutopilotService;
  autopilotRecorder: AutopilotRecorder;
  /** Raises the generation of a rollout's host apps when a scheduled step takes effect. */
  scheduledSteps: ScheduledStepsService;
  /** Organisations' release keys: packages signed with a key the server never holds. */
  releaseKeys: ReleaseKeyService;
}

export interface ServiceOptions {
  /** The clock of release ramps (epoch milliseconds); tests move it to check scheduled steps. */
  clock?: () => number;
  /** Webhook delivery timing (tests make retries fast); by default the Standard Webhooks schedule, 10 s per attempt. */
  webhooks?: Partial<Pick<DispatcherOptions, 'retryDelaysMs' | 'timeoutMs' | 'pollMs'>>;
  /** How often the autopilots are looked at (ms); 5 s by default, so a decision follows its condition within seconds. */
  autopilotIntervalMs?: number;
  /** How often the scheduled rollout steps are looked at (ms); 1 s by default. */
  scheduledStepsIntervalMs?: number;
}

/**
 * Makes every service of a server on an opened installation, each given what it needs (the only place that
 * knows who depends on whom). `close` stops them (webhook attempts in flight go back to the queue, the buffered
 * events are written); the installation itself is closed by its owner.
 */
export function createServices(
  config: Config,
  installation: Installation,
  log: FastifyBaseLogger,
  options: ServiceOptions = {},
): { services: Services; close(): Promise<void> } {
  const { box, packageStore, database: handle } = installation;
  // Several instances may share one PostgreSQL: changes reach the others' caches through LISTEN/NOTIFY. The
  // workers of one cluster on SQLite tell each other through the primary process.
  const transport = handle.pool
    ? new PgNotifyTransport(handle.pool, config.databaseUrl, log)
    : ClusterIpcTransport.available()
      ? new ClusterIpcTransport()
      : undefined;
  const changes = new ChangeBus(transport, (err) =>
    log.error({ err: { message: (err as Error).message } }, 'could not tell other instances about a change'),
  );
  const signingPool = new SigningPool(config.signingThreads, config.signingThreadHeapMb);
  const signer = new PackageSigner(handle.db, box, signingPool, packageStore, changes, log);
  const hostApps = new HostAppService(handle.db, box, changes, signer);
  const passwords = new PasswordHasher(config.passwordHashCost);
  const auth = new AuthService(handle.db, config.sessionTtlMs, passwords);
  const outbox = new DatabaseOutbox(options.clock);
  const webhookDispatcher = new WebhookDispatcher(handle.db, box, log, {
    ...DEFAULT_DISPATCHER,
    ...options.webhooks,
    clock: options.clock ?? Date.now,
    allowPrivate: config.webhookAllowPrivate,
  });
  outbox.onRecord = () => webhookDispatcher.wake();
  // A patch waits while this instance signs (a release's fan-out, its manifests): its worker thread's memory is
  // not added to the fan-out's (docs/operations.md, "Memory").
  const patches = new PatchMaker(handle.db, packageStore, changes, log, {
    ...config.patches,
    busy: () => signingPool.busyWithin(SIGNING_QUIET_MS) || signer.list().some((j) => j.status === 'running'),
  });
  const releases = new ReleaseService(handle.db, signer, changes, options.clock, outbox, patches);
  const manifests = new ManifestCache(
    new PoolManifestSigner(box, signingPool),
    config.manifestTtlHours * 3_600_000,
    options.clock ?? Date.now,
  );
  manifests.onError = (err) => log.error({ err: { message: (err as Error).message } }, 'could not renew a signed gate answer');
  const gate = new GateService(handle.db, changes, config.packageBaseUrl, manifests, options.clock, config.patches.baseUrl);
  const events = new EventsService(handle.db, changes, log, {
    retentionDays: config.eventsRetentionDays,
    devicesPerAddress: config.eventsDevicesPerAddress,
  });
  const autopilotRecorder = new AutopilotRecorder(handle.db, gate, changes, log, options.clock);
  events.onOutcome = (o) => autopilotRecorder.observe(o);
  const autopilot = new AutopilotService(
    handle.db,
    handle.dialect,
    releases,
    autopilotRecorder,
    log,
    { intervalMs: options.autopilotIntervalMs ?? 5000, retentionDays: config.eventsRetentionDays },
    options.clock,
  );
  const scheduledSteps = new ScheduledStepsService(
    handle.db,
    handle.dialect,
    changes,
    log,
    { intervalMs: options.scheduledStepsIntervalMs ?? 1000 },
    options.clock,
  );
  const services: Services = {
    auth,
    oidc: config.oidc && new OidcService(handle.db, box, auth, config.oidc, config.publicUrl),
    users: new UserService(handle.db, passwords),
    tokens: new TokenService(handle.db),
    hostApps,
    mpaasSync: new MpaasSyncService(handle.db, installation.mpaasDirectory, hostApps),
    miniPrograms: new MiniProgramService(handle.db, packageStore, signer, changes, config.maxPackageBytes, undefined, releases),
    releases,
    signer,
    patches,
    events,
    gate,
    changes,
    outbox,
    webhooks: new WebhookService(handle.db, box, config.webhookAllowPrivate),
    organisations: new OrganisationService(handle.db),
    associations: new AssociationService(handle.db, signer, changes, outbox),
    reviews: new ReviewService(handle.db, outbox, signer),
    releaseKeys: new ReleaseKeyService(handle.db),
    webhookDispatcher,
    autopilot,
    autopilotRecorder,
    scheduledSteps,
  };
  return {
    services,
    async close() {
      await webhookDispatcher.stop(); // attempts in flight are given back to the queue
      await patches.stop(); // a patch in progress goes back to the queue
      await autopilot.stop(); // writes the buffered device reports
      await scheduledSteps.stop();
      await services.events.stop(); // writes the buffered events first
      await changes.close();
      await signingPool.close();
    },
  };
}
