import http from 'node:http';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the mPaaS OpenAPI wire format (RPC style, 2020-10-28) and checks each request's
 * ACS3-HMAC-SHA256 signature with the access key secret, computed here from the request as received.
 */
export interface FakeMpaas {
  endpoint: string;
  requests: { action: string; signatureValid: boolean }[];
  /** What the next calls do. */
  mode: 'ok' | 'error' | 'hang' | 'refuse-signature';
  apps: { AppId: string; AppName: string; TenantId: string; AppDesc?: string }[];
  workspaces: { WorkspaceId: string; DisplayName: string; TenantId: string }[];
  close: () => Promise<void>;
}

const encode = (s: string) =>
  encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function verify(req: http.IncomingMessage, body: Buffer, accessKeyId: string, secret: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
  if (!m || m[1] !== accessKeyId) return false;
  const signed = m[2].split(';');
  if (!signed.includes('host') || !signed.includes('x-acs-action') || !signed.includes('x-acs-date')) return false;
  if (req.headers['x-acs-content-sha256'] !== sha256(body)) return false;
  const url = new URL(req.url!, 'http://x');
  const query = [...url.searchParams.keys()]
    .sort()
    .map((k) => `${k}=${encode(url.searchParams.get(k)!)}`)
    .join('&');
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signed.join(';'), sha256(body)].join('\n');
  const expected = createHmac('sha256', secret)
    .update(`ACS3-HMAC-SHA256\n${sha256(canonical)}`)
    .digest('hex');
  return timingSafeEqual(Buffer.from(expected), Buffer.from(m[3].padEnd(expected.length, '0').slice(0, expected.length)));
}

export async function startFakeMpaas(accessKeyId: string, secret: string): Promise<FakeMpaas> {
  const fake: FakeMpaas = {
    endpoint: '',
    requests: [],
    mode: 'ok',
    apps: [
      { AppId: 'ALIPUB059F038311550', AppName: 'Retail Super App', TenantId: 'TENANTAB', AppDesc: 'production' },
      { AppId: 'ONEX3A7B5C9D1E2F3', AppName: 'Travel Companion', TenantId: 'TENANTAB' },
    ],
    workspaces: [
      { WorkspaceId: 'default', DisplayName: 'Default', TenantId: 'TENANTAB' },
      { WorkspaceId: 'prod', DisplayName: 'Production', TenantId: 'TENANTAB' },
    ],
    close: async () => {},
  };
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = String(req.headers['x-acs-action'] ?? '');
      const signatureValid = verify(req, body, accessKeyId, fake.mode === 'refuse-signature' ? 'not-the-secret' : secret);
      fake.requests.push({ action, signatureValid });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify(json));
      };
      if (fake.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (!signatureValid)
        return send(400, {
          RequestId: 'req-sig',
          Code: 'SignatureDoesNotMatch',
          Message: 'The request signature does not conform to Aliyun standards.',
        });
      if (req.headers['x-acs-version'] !== '2020-10-28')
        return send(400, { RequestId: 'req-ver', Code: 'InvalidVersion', Message: 'Specified version is not valid.' });
      if (fake.mode === 'error')
        return send(500, { RequestId: 'req-err', Code: 'ServiceUnavailable', Message: 'The mPaaS console is under maintenance.' });
      if (action === 'ListMappCenterApps') {
        return send(200, {
          RequestId: 'req-apps',
          ResultCode: 'OK',
          ListMappCenterAppResult: {
            Success: true,
            MappCenterAppList: fake.apps.map((a) => ({ ...a, Status: 1, CreateTime: '2026-01-01' })),
          },
        });
      }
      if (action === 'ListMappCenterWorkspaces') {
        return send(200, {
          RequestId: 'req-ws',
          ResultCode: 'OK',
          ListMappCenterWorkspaceResult: { Success: true, MappCenterWorkspaceList: fake.workspaces.map((w) => ({ ...w, Type: 'ONLINE' })) },
        });
      }
      return send(404, { RequestId: 'req-404', Code: 'InvalidAction.NotFound', Message: `Specified api ${action} is not found.` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return fake;
}
