import { createHash, verify } from 'node:crypto';
import { expect } from 'vitest';
import { miniProgramZip, packageForm } from './packages.js';
import { devConfigForm } from './app.js';
import { rsaKey } from './keys.js';

/** A small API client over fetch with a bearer token, for tests that drive a server process. */
export class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async req(method: string, path: string, body?: unknown) {
    const isForm = body instanceof FormData;
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  }

  async ok(method: string, path: string, body?: unknown) {
    const r = await this.req(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  }
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Host apps with keys, a mini program with two versions (one released), authorisations and a disabled app. */
export async function populate(api: Api, workspaceId = 'ops') {
  const keys = [rsaKey(2048), rsaKey(2048)];
  const apps: { appId: string; publicPem: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const app = await api.ok('POST', '/api/v1/host-apps', { name: `Backed Up ${i}`, workspaceId });
    await api.ok(
      'PUT',
      `/api/v1/host-apps/${workspaceId}/${app.appId}/dev-config`,
      devConfigForm(`app${i}.example.com`, keys[i % 2].pkcs1),
    );
    apps.push({ appId: app.appId, publicPem: keys[i % 2].publicPem });
  }
  const mp = await api.ok('POST', '/api/v1/mini-programs', { name: 'Backed Up MP' });
  const zips: Buffer[] = [];
  for (const version of ['1.0.0.1', '1.0.0.2']) {
    const zip = await miniProgramZip(`pages/v${version}/index`, { 'payload.bin': version.repeat(5000) });
    await api.ok('POST', `/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version }, zip));
    zips.push(zip);
  }
  await api.ok('POST', `/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.2/release`);
  for (const a of apps) await api.ok('PUT', `/api/v1/host-apps/${workspaceId}/${a.appId}/mini-programs/${mp.miniProgramId}`);
  const disabled = await api.ok('POST', '/api/v1/host-apps', { name: 'Backed Up Disabled', workspaceId });
  await api.ok('PATCH', `/api/v1/host-apps/${workspaceId}/${disabled.appId}`, { enabled: false });
  return { workspaceId, apps, miniProgramId: mp.miniProgramId as string, zips, released: zips[1], disabledAppId: disabled.appId as string };
}

export type Population = Awaited<ReturnType<typeof populate>>;

/**
 * What must be there after a restore (or a key rotation): every host app of the population, its key, the release,
 * the packages byte for byte, and the gate's signatures verifying with each host app's public key.
 */
export async function expectPopulation(api: Api, p: Population) {
  for (const a of p.apps) {
    const res = await fetch(`${api.url}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: a.appId, workspaceId: p.workspaceId, platform: 'android', clientVersion: '1.0', miniPrograms: {} }),
    });
    expect(res.status, `gate for ${a.appId}`).toBe(200);
    const answer = (await res.json()) as {
      resources: { version: string; sha256: string; signature: string; packageUrl: string }[];
      manifest: string;
      manifestSignature: string;
    };
    const { resources } = answer;
    expect(
      verify('sha256', Buffer.from(answer.manifest), a.publicPem, Buffer.from(answer.manifestSignature, 'base64')),
      'manifest verifies',
    ).toBe(true);
    expect(resources.map((r) => r.version)).toEqual(['1.0.0.2']);
    const bytes = Buffer.from(await (await fetch(api.url + new URL(resources[0].packageUrl).pathname)).arrayBuffer());
    expect(sha256(bytes)).toBe(sha256(p.released));
    expect(verify('sha256', bytes, a.publicPem, Buffer.from(resources[0].signature, 'base64')), 'signature verifies').toBe(true);
  }
  const disabled = await fetch(`${api.url}/client/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appId: p.disabledAppId,
      workspaceId: p.workspaceId,
      platform: 'android',
      clientVersion: '1.0',
      miniPrograms: {},
    }),
  });
  expect(((await disabled.json()) as { code: string }).code).toBe('HOST_APP_DISABLED');
  const packages = await api.ok('GET', `/api/v1/mini-programs/${p.miniProgramId}/packages`);
  expect(packages.items.map((x: { sha256: string }) => x.sha256).sort()).toEqual(p.zips.map(sha256).sort());
}
