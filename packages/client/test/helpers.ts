import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, devConfigForm, startApp, type TestApp } from '../../server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../../server/test/helpers/packages.js';

/** What the test proxy does to one exchange: answer by itself, or change the upstream answer. */
export interface ProxyRule {
  /** Matches the request path (and method). */
  match: (method: string, path: string) => boolean;
  /** How many requests it applies to (default: all). */
  times?: number;
  /** Answer without asking upstream. */
  respond?: (res: http.ServerResponse) => void;
  /** Change the upstream body. */
  transform?: (body: Buffer) => Buffer;
}

/**
 * A small node:http proxy in front of the real server: it counts requests per path and can fail, delay or tamper
 * with answers, the way a hostile network or a broken gate would.
 */
export interface TestProxy {
  url: string;
  hits: string[];
  rules: ProxyRule[];
  hitsOf: (prefix: string) => number;
  close: () => Promise<void>;
}

export async function startProxy(): Promise<TestProxy & { setUpstream: (url: string) => void }> {
  let upstream = '';
  const proxy = { hits: [] as string[], rules: [] as ProxyRule[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      proxy.hits.push(`${req.method} ${path}`);
      const rule = proxy.rules.find((r) => r.match(req.method ?? 'GET', path) && (r.times === undefined || r.times > 0));
      if (rule && rule.times !== undefined) rule.times--;
      if (rule?.respond) return rule.respond(res);
      try {
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'range', 'if-none-match', 'cookie', 'authorization', 'origin']) {
          if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
        }
        const answer = await fetch(`${upstream}${path}`, { method: req.method, headers, body: body.length ? body : undefined });
        let data: Buffer = Buffer.from(await answer.arrayBuffer());
        if (rule?.transform) data = rule.transform(data);
        const out: Record<string, string> = { 'content-length': String(data.length) };
        for (const h of ['content-type', 'retry-after', 'etag', 'content-disposition']) {
          const v = answer.headers.get(h);
          if (v) out[h] = v;
        }
        res.writeHead(answer.status, out);
        res.end(data);
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...proxy,
    url,
    hitsOf: (prefix) => proxy.hits.filter((h) => h.startsWith(prefix)).length,
    setUpstream: (u) => {
      upstream = u;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface KitServer {
  t: TestApp;
  proxy: TestProxy;
  /** The admin API, as a signed-in operator of the platform at the proxy's address. */
  api: (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => ReturnType<Client['request']>;
  close: () => Promise<void>;
}

/** The real server (buildApp, listening on a free port) behind the test proxy, which is its public URL. */
export async function startKitServer(env: Record<string, string> = {}): Promise<KitServer> {
  const proxy = await startProxy();
  const t = await startApp('sqlite', {
    MPOP_PUBLIC_URL: proxy.url,
    LOG_LEVEL: 'warn',
    MPOP_RATE_LIMIT_PER_DEVICE: '0',
    MPOP_RATE_LIMIT_PER_ADDRESS: '0',
    ...env,
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  proxy.setUpstream(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`);
  const admin = await Client.signIn(t.app);
  return {
    t,
    proxy,
    api: (method, url, payload) =>
      admin.request({ method, url, payload: payload as never, headers: method === 'GET' ? {} : { origin: proxy.url } }),
    close: async () => {
      await proxy.close();
      await t.destroy();
    },
  };
}

/** A host app with its development configuration, and a released mini program authorised for it. */
export async function hostAppWithProgram(kit: KitServer, name: string, privateKeyPem: string, programName = `${name} program`) {
  const app = (await kit.api('POST', '/api/v1/host-apps', { name, workspaceId: 'kit' })).json();
  const set = await kit.api('PUT', `/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com', privateKeyPem));
  if (set.statusCode !== 200) throw new Error(`dev config failed: ${set.body}`);
  const program = await authorisedProgram(kit, app.appId, programName);
  const config = (await kit.api('GET', `/api/v1/host-apps/kit/${app.appId}/config-file`)).json();
  return { appId: app.appId as string, program, config };
}

/** Registers, uploads (a package of its own bytes), releases and authorises a mini program for a host app. */
export async function authorisedProgram(kit: KitServer, appId: string, name: string, version = '1.0.0.1') {
  const id = (await kit.api('POST', '/api/v1/mini-programs', { name })).json().miniProgramId as string;
  const zip = await miniProgramZip('pages/index/index', { 'name.txt': `${name} ${id}` });
  const up = await kit.api('POST', `/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip));
  if (up.statusCode !== 201) throw new Error(`upload failed: ${up.body}`);
  const rel = await kit.api('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`);
  if (rel.statusCode !== 200) throw new Error(`release failed: ${rel.body}`);
  const program = { id, zip };
  const auth = await kit.api('PUT', `/api/v1/host-apps/kit/${appId}/mini-programs/${program.id}`);
  if (auth.statusCode !== 200) throw new Error(`authorise failed: ${auth.body}`);
  return program;
}
