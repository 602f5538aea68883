import type { Kysely } from 'kysely';
import type { Resource, ResourcesRequest } from '@mpop/contracts';
import type { Database, MiniProgramPackagesTable } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { inRange } from '../mini-programs/versions.js';
import { GateRepository } from './gate.repository.js';

/** A released package of an authorised mini program, with its signature under the host app's key. */
type Candidate = Omit<MiniProgramPackagesTable, 'createdAt'> & { signature: string; bindingSignature: string };

/** What the gate knows about one host app: built from the database on a miss, then served from memory. */
type HostAppView =
  | { state: 'unregistered' }
  | { state: 'unconfigured' }
  | { state: 'disabled' }
  | { state: 'ready'; vhost: string; keyFingerprint: string; programs: Map<string, Candidate> };

const MAX_CACHED = 10_000;

/**
 * The run-time gate: only registered, configured host apps get packages, and only those authorised, released,
 * signed and fit for the client. The hot path is a map lookup; the cache is dropped on every change, here or in
 * another process (ChangeBus).
 */
export class GateService {
  private readonly cache = new Map<string, HostAppView>();
  private generation = 0;
  /** Told about every cache lookup (metrics). */
  onCacheLookup: (hit: boolean) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    changes: ChangeBus,
    private readonly publicUrl: string,
  ) {
    changes.onChange((c) => {
      this.generation++;
      if (c.kind === 'host-app') this.cache.delete(key(c.workspaceId, c.appId));
      else this.cache.clear();
    });
  }

  async resources(req: ResourcesRequest): Promise<Resource[]> {
    const view = await this.view(req.workspaceId, req.appId);
    if (view.state === 'unregistered') {
      throw new AppError(
        'HOST_APP_NOT_REGISTERED',
        `The app ${req.appId} is not in the Host App list of workspace ${req.workspaceId}; only listed apps may load mini programs.`,
      );
    }
    if (view.state === 'disabled') {
      throw new AppError(
        'HOST_APP_DISABLED',
        `The host app ${req.appId} of workspace ${req.workspaceId} is disabled; an operator can enable it again in the console.`,
      );
    }
    if (view.state === 'unconfigured') {
      throw new AppError(
        'HOST_APP_NOT_CONFIGURED',
        `The host app ${req.appId} has no development configuration yet; an operator must make it in the console first.`,
      );
    }
    // An empty map asks for every mini program the host app may load.
    const wanted = Object.keys(req.miniPrograms);
    const ids = wanted.length > 0 ? wanted : [...view.programs.keys()];
    const out: Resource[] = [];
    for (const id of ids) {
      const c = view.programs.get(id);
      if (!c || (c.platform && c.platform !== req.platform) || !inRange(req.clientVersion, c.clientVersionMin, c.clientVersionMax))
        continue;
      out.push({
        miniProgramId: id,
        version: c.version,
        packageUrl: `${this.publicUrl}/client/v1/packages/${c.sha256}.zip`,
        sha256: c.sha256,
        size: c.size,
        signature: c.signature,
        bindingSignature: c.bindingSignature,
        keyFingerprint: view.keyFingerprint,
        vhost: view.vhost,
        mainUrl: c.mainUrl,
      });
    }
    return out;
  }

  private async view(workspaceId: string, appId: string): Promise<HostAppView> {
    const k = key(workspaceId, appId);
    const hit = this.cache.get(k);
    this.onCacheLookup(hit !== undefined);
    if (hit) return hit;
    const generation = this.generation;
    const view = await this.load(workspaceId, appId);
    // A change that arrived while loading may have made this view stale: serve it once, do not keep it.
    if (generation === this.generation) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, view);
    }
    return view;
  }

  private async load(workspaceId: string, appId: string): Promise<HostAppView> {
    const repo = new GateRepository(this.db);
    const app = await repo.findHostApp(workspaceId, appId);
    if (!app) return { state: 'unregistered' };
    if (app.disabledAt !== null) return { state: 'disabled' };
    if (!app.virtualDomain || !app.keyFingerprint) return { state: 'unconfigured' };
    const rows = await repo.servable(app.id, app.keyFingerprint);
    return {
      state: 'ready',
      vhost: app.virtualDomain,
      keyFingerprint: app.keyFingerprint,
      programs: new Map(rows.map((r) => [r.miniProgramId, { ...r, size: Number(r.size) }])),
    };
  }
}

const key = (workspaceId: string, appId: string) => `${workspaceId}\n${appId}`;
