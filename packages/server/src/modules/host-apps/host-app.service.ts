import type { Kysely } from 'kysely';
import type { ConfigFile, DevConfig, HostApp, HostAppList, HostAppListQuery, ManifestInfo } from '@mpop/contracts';
import { NAME_MAX, PREVIOUS_KEY_LISTED_DAYS } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { keyAad, newAppId, newTenantId, type SecretBox } from '../../lib/crypto.js';
import { cleanName } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AssociationRepository } from '../host-apps/association.repository.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { GenerationRepository } from './generation.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { HostAppRepository, nameKey, toHostApp, type HostAppWithConfig } from './host-app.repository.js';
import { inspectPrivateKey } from './private-key.js';
import { normalizeVirtualDomain } from './virtual-domain.js';
import { ReleaseKeyRepository } from '../release-keys/release-key.repository.js';

export interface DevConfigUpload {
  virtualDomain?: string;
  privateKey?: { fileName: string; data: Buffer };
}

/**
 * What a new key asks of the signer (modules/signing/package-signer.ts, which reads this module, so it is named
 * here by the two methods it needs): a row in the upload's transaction saying that the host app's packages are to
 * be signed with the key, then the job that signs them.
 */
export interface KeySigner {
  markPending(trx: Executor, scope: { hostAppId: number }): Promise<string>;
  signMissing(scope: { hostAppId: number }, why: { code: 'key-uploaded' }, options: { pending: string }): Promise<unknown>;
}

export class HostAppService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly changes: ChangeBus,
    /** Signs the host app's released mini programs with a newly uploaded key (see PackageSigner). */
    private readonly keySigner?: KeySigner,
  ) {}

  async list(q: HostAppListQuery): Promise<HostAppList> {
    const page = await new HostAppRepository(this.db).list({
      query: q.query,
      workspaceId: q.workspaceId,
      page: q.page ?? 1,
      pageSize: q.pageSize ?? 20,
    });
    return { ...page, items: page.items.map(toHostApp) };
  }

  async get(workspaceId: string, appId: string): Promise<HostApp> {
    return toHostApp(await this.require(workspaceId, appId));
  }

  /** Adds a manual host app with a generated APPID and tenant ID. */
  async create(input: { name: string; workspaceId: string }, actor: Principal): Promise<HostApp> {
    const name = cleanName(input.name, { field: 'name', label: 'The App name', max: NAME_MAX });
    return this.insert({ name, workspaceId: input.workspaceId, source: 'manual' }, actor, 'host-app.created');
  }

  /**
   * Inserts a host app and its audit event in one transaction. Generated IDs come from the CSPRNG and are
   * re-drawn on the (astronomically rare) collision.
   */
  async insert(
    input: { name: string; workspaceId: string; source: 'manual' | 'mpaas'; appId?: string; tenantId?: string },
    actor: Principal,
    action: 'host-app.created' | 'host-app.synced',
  ): Promise<HostApp> {
    const key = nameKey(input.name);
    const now = nowIso();
    try {
      const created = await this.db.transaction().execute(async (trx) => {
        const repo = new HostAppRepository(trx);
        if (input.appId && (await repo.find(input.workspaceId, input.appId))) throw hostAppExists(input.workspaceId, input.appId);
        if (await repo.nameTaken(input.workspaceId, key)) throw nameTaken(input.name, input.workspaceId);
        let appId = input.appId;
        for (let i = 0; !appId && i < 5; i++) {
          const candidate = newAppId();
          if (!(await repo.appIdExists(candidate))) appId = candidate;
        }
        if (!appId) throw new Error('Could not draw a free APPID.');
        const row = await repo.insert({
          appId,
          workspaceId: input.workspaceId,
          tenantId: input.tenantId ?? newTenantId(),
          name: input.name,
          nameKey: key,
          source: input.source,
          createdAt: now,
          updatedAt: now,
        });
        await new AuditRepository(trx).record({
          actor: actor.actor,
          address: actor.address,
          action,
          target: hostAppTarget(input.workspaceId, appId),
          details: { name: input.name, source: input.source },
        });
        // Above every generation handed out so far: a host app made again with the IDs of a deleted one included.
        await new GenerationRepository(trx).raiseHostApps([row.id]);
        return row;
      });
      return toHostApp(created);
    } catch (err) {
      if (isUniqueViolation(err, 'name_key')) throw nameTaken(input.name, input.workspaceId);
      if (isUniqueViolation(err)) throw hostAppExists(input.workspaceId, input.appId ?? '');
      throw err;
    }
  }

  /**
   * Renames, disables or enables a host app. A disabled host app keeps its configuration and authorisations, but
   * the client API refuses it (403 HOST_APP_DISABLED) until it is enabled again.
   */
  async update(workspaceId: string, appId: string, input: { enabled?: boolean; name?: string }, actor: Principal): Promise<HostApp> {
    const name = input.name === undefined ? undefined : cleanName(input.name, { field: 'name', label: 'The App name', max: NAME_MAX });
    const now = nowIso();
    try {
      const { row, changed } = await this.db.transaction().execute(async (trx) => {
        const repo = new HostAppRepository(trx);
        const app = await repo.find(workspaceId, appId);
        if (!app) throw hostAppNotFound(workspaceId, appId);
        const changes: { name?: string; nameKey?: string; disabledAt?: string | null } = {};
        if (name !== undefined && name !== app.name) {
          const key = nameKey(name);
          if (key !== app.nameKey && (await repo.nameTaken(workspaceId, key))) throw nameTaken(name, workspaceId);
          Object.assign(changes, { name, nameKey: key });
        }
        const wasEnabled = app.disabledAt === null;
        if (input.enabled !== undefined && input.enabled !== wasEnabled) changes.disabledAt = input.enabled ? null : now;
        if (Object.keys(changes).length === 0) return { row: app, changed: false };
        // Before the row is written: the generation counter is always taken before a host app's row (no deadlock).
        if (changes.disabledAt !== undefined) await new GenerationRepository(trx).raiseHostApps([app.id]);
        await repo.update(app.id, { ...changes, updatedAt: now });
        const onlyEnabled = changes.name === undefined;
        await new AuditRepository(trx).record({
          actor: actor.actor,
          address: actor.address,
          action: onlyEnabled ? (input.enabled ? 'host-app.enabled' : 'host-app.disabled') : 'host-app.updated',
          target: hostAppTarget(workspaceId, appId),
          details: {
            ...(changes.name !== undefined ? { name: changes.name, previousName: app.name } : {}),
            ...(changes.disabledAt !== undefined ? { enabled: changes.disabledAt === null } : {}),
          },
        });
        return { row: { ...app, ...changes, updatedAt: now }, changed: true };
      });
      if (changed) await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
      return toHostApp(row);
    } catch (err) {
      if (isUniqueViolation(err, 'name_key')) throw nameTaken(input.name ?? '', workspaceId);
      throw err;
    }
  }

  async delete(workspaceId: string, appId: string, actor: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const repo = new HostAppRepository(trx);
      const app = await repo.find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      await repo.delete(app.id);
      // Its associations end with it: a host app made again later with the same IDs starts with none.
      await new AssociationRepository(trx).revokeForHostApp(workspaceId, appId, actor.username, nowIso());
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'host-app.deleted',
        target: hostAppTarget(workspaceId, appId),
        details: { name: app.name },
      });
    });
    await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
  }

  async getDevConfig(workspaceId: string, appId: string): Promise<DevConfig> {
    const app = await this.require(workspaceId, appId);
    const row = await new HostAppRepository(this.db).findDevConfig(app.id);
    if (!row) {
      throw new AppError('DEV_CONFIG_NOT_SET', `The host app ${appId} has no development configuration yet; make one first.`);
    }
    return toDevConfig(row);
  }

  async getPublicKey(workspaceId: string, appId: string): Promise<string> {
    return (await this.getDevConfig(workspaceId, appId)).privateKey.publicKeyPem;
  }

  /**
   * Sets the development configuration. Everything is validated before anything is written, so a rejected
   * upload leaves the previous configuration exactly as it was. The key file may be left out to keep the key.
   */
  async setDevConfig(workspaceId: string, appId: string, upload: DevConfigUpload, actor: Principal): Promise<DevConfig> {
    if (upload.virtualDomain === undefined) throw validationFailed('virtualDomain', 'Enter the virtual domain, like example.com.');
    const virtualDomain = normalizeVirtualDomain(upload.virtualDomain);
    const key = upload.privateKey && inspectPrivateKey(upload.privateKey.data);
    const fileName = upload.privateKey && cleanFileName(upload.privateKey.fileName);
    const now = nowIso();

    const { next: row, pending } = await this.db.transaction().execute(async (trx) => {
      const repo = new HostAppRepository(trx);
      const app = await repo.find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      const previous = await repo.findDevConfig(app.id);
      if (key && (await repo.allPreviousKeys(app.id)).some((k) => k.keyFingerprint === key.fingerprintSha256 && k.revokedAt !== null)) {
        throw validationFailed(
          'privateKey',
          `The key ${key.fingerprintSha256} was retired for this host app: devices refuse its signatures. Generate a new key (openssl genrsa -out private_key.pem 2048) and upload that.`,
        );
      }
      if (!key && !previous) throw validationFailed('privateKey', 'Upload the RSA private key file (.pem); no key is configured yet.');
      const next = key
        ? {
            hostAppId: app.id,
            virtualDomain,
            keyFileName: fileName!,
            keyBits: key.bits,
            keyFormat: key.format,
            keyFingerprint: key.fingerprintSha256,
            publicKeyPem: key.publicKeyPem,
            privateKeySealed: this.box.seal(Buffer.from(key.pkcs8Pem), keyAad(workspaceId, appId)),
            keyUploadedAt: now,
            updatedAt: now,
          }
        : { ...previous!, virtualDomain, updatedAt: now };
      // Before the host app's row is touched: the generation counter is always taken first (no deadlock).
      await new GenerationRepository(trx).raiseHostApps([app.id]);
      await repo.upsertDevConfig(next);
      if (key && previous && previous.keyFingerprint !== key.fingerprintSha256) {
        const retired = { hostAppId: app.id, keyFingerprint: previous.keyFingerprint, publicKeyPem: previous.publicKeyPem, retiredAt: now };
        await repo.retireKey(retired, key.fingerprintSha256, daysBefore(now, PREVIOUS_KEY_LISTED_DAYS));
      }
      await repo.touch(app.id, now);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'host-app.dev-config.set',
        target: hostAppTarget(workspaceId, appId),
        details: { virtualDomain, keyChanged: Boolean(key), ...(key ? { keyFingerprint: key.fingerprintSha256, bits: key.bits } : {}) },
      });
      const pending = key && (await this.keySigner?.markPending(trx, { hostAppId: app.id }));
      return { next, pending };
    });
    if (pending) await this.keySigner!.signMissing({ hostAppId: row.hostAppId }, { code: 'key-uploaded' }, { pending });
    await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
    return toDevConfig(row);
  }

  /**
   * The config file a mobile team builds into its host app: identity, gateway, virtual domain and the public keys
   * that may sign its packages (the current one first, then keys replaced in the last PREVIOUS_KEY_LISTED_DAYS).
   */
  async configFile(workspaceId: string, appId: string, publicUrl: string): Promise<ConfigFile> {
    const app = await this.require(workspaceId, appId);
    const repo = new HostAppRepository(this.db);
    const config = await repo.findDevConfig(app.id);
    if (!config) {
      throw new AppError(
        'DEV_CONFIG_NOT_SET',
        `The host app ${appId} has no development configuration yet; make one before downloading its config file.`,
      );
    }
    const previous = await repo.previousKeys(app.id, daysBefore(nowIso(), PREVIOUS_KEY_LISTED_DAYS));
    return {
      appId: app.appId,
      workspaceId: app.workspaceId,
      tenantId: app.tenantId,
      name: app.name,
      gatewayUrl: `${publicUrl}/client/v1`,
      virtualDomain: config.virtualDomain,
      publicKeys: [
        { fingerprintSha256: config.keyFingerprint, pem: config.publicKeyPem },
        ...previous
          .filter((k) => k.keyFingerprint !== config.keyFingerprint)
          .map((k) => ({ fingerprintSha256: k.keyFingerprint, pem: k.publicKeyPem })),
      ],
      releaseKeys: (await new ReleaseKeyRepository(this.db).forHostApp(app.id)).map((k) => ({
        orgId: k.orgId,
        fingerprintSha256: k.fingerprintSha256,
        pem: k.publicKeyPem,
      })),
    };
  }

  /** The generation of the host app's answers, the key that signs them and the replaced keys (listed or retired). */
  async manifestInfo(workspaceId: string, appId: string): Promise<Omit<ManifestInfo, 'manifestTtlHours'>> {
    const app = await this.require(workspaceId, appId);
    const repo = new HostAppRepository(this.db);
    const [config, previous] = await Promise.all([repo.findDevConfig(app.id), repo.allPreviousKeys(app.id)]);
    return {
      generation: Number(app.generation),
      keyFingerprint: config?.keyFingerprint ?? null,
      previousKeys: previous
        .filter((k) => k.keyFingerprint !== config?.keyFingerprint)
        .map((k) => ({ fingerprintSha256: k.keyFingerprint, replacedAt: k.retiredAt, revokedAt: k.revokedAt })),
    };
  }

  /**
   * Retires a replaced key at once ("retire now"): from the next answer on, every manifest of the host app names it
   * in `revokedKeys`, and a client that accepted one refuses the key's signatures for good; the config file stops
   * listing it. The key that signs now cannot be retired (KEY_IN_USE): upload a new one first. Retiring twice is
   * harmless.
   */
  async retireKey(
    workspaceId: string,
    appId: string,
    fingerprint: string,
    actor: Principal,
  ): Promise<Omit<ManifestInfo, 'manifestTtlHours'>> {
    await this.db.transaction().execute(async (trx) => {
      const repo = new HostAppRepository(trx);
      const app = await repo.find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      const config = await repo.findDevConfig(app.id);
      if (config?.keyFingerprint === fingerprint) {
        throw new AppError(
          'KEY_IN_USE',
          `The key ${fingerprint} signs host app ${appId} now; upload a new key in its development configuration first, then retire this one.`,
        );
      }
      if (!(await repo.revokePreviousKey(app.id, fingerprint, nowIso()))) {
        throw notFound(`A replaced key ${fingerprint} of the host app ${appId}`);
      }
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'host-app.key.retired',
        target: hostAppTarget(workspaceId, appId),
        details: { keyFingerprint: fingerprint },
      });
      await new GenerationRepository(trx).raiseHostApps([app.id]);
    });
    await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
    return this.manifestInfo(workspaceId, appId);
  }

  private async require(workspaceId: string, appId: string): Promise<HostAppWithConfig> {
    const app = await new HostAppRepository(this.db).find(workspaceId, appId);
    if (!app) throw hostAppNotFound(workspaceId, appId);
    return app;
  }
}

const daysBefore = (iso: string, days: number) => new Date(Date.parse(iso) - days * 86_400_000).toISOString();

export const hostAppTarget = (workspaceId: string, appId: string) => `host-app:${workspaceId}/${appId}`;

export const hostAppNotFound = (workspaceId: string, appId: string) => notFound(`The host app ${appId} in workspace ${workspaceId}`);

const hostAppExists = (workspaceId: string, appId: string) =>
  new AppError('HOST_APP_EXISTS', `The host app ${appId} is already registered in workspace ${workspaceId}.`, {
    params: { appId, workspaceId },
  });

const nameTaken = (name: string, workspaceId: string) =>
  new AppError('NAME_TAKEN', `Workspace ${workspaceId} already has a host app named "${name.trim()}"; choose another name.`, {
    errors: [{ path: 'name', message: 'already taken in this workspace' }],
    params: { name: name.trim(), workspaceId },
  });

/** Keeps only the base name of an uploaded file, printable, at most 255 characters. */
function cleanFileName(raw: string): string {
  const base = raw
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return (base || 'private_key.pem').slice(0, 255);
}

function toDevConfig(row: {
  virtualDomain: string;
  keyFileName: string;
  keyBits: number;
  keyFormat: 'pkcs1' | 'pkcs8';
  keyFingerprint: string;
  publicKeyPem: string;
  keyUploadedAt: string;
  updatedAt: string;
}): DevConfig {
  return {
    virtualDomain: row.virtualDomain,
    privateKey: {
      fileName: row.keyFileName,
      algorithm: 'RSA',
      bits: row.keyBits,
      format: row.keyFormat,
      fingerprintSha256: row.keyFingerprint,
      publicKeyPem: row.publicKeyPem,
      uploadedAt: row.keyUploadedAt,
    },
    updatedAt: row.updatedAt,
  };
}
