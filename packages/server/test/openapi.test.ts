import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditActions, ErrorCatalogue } from '@mpop/contracts';
import { startApp, type TestApp } from './helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

type Schema = { type?: string; format?: string; enum?: string[]; properties?: Record<string, Schema>; required?: string[] };
type Operation = {
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: { name: string; in: string; schema: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

describe('the OpenAPI document (/api/docs/json)', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    t = await startApp('sqlite');
    const res = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    paths = res.json().paths;
  });
  afterAll(() => t.destroy());

  it('lists every problem code of the catalogue in the error answers of every route', () => {
    for (const [url, methods] of Object.entries(paths)) {
      if (!url.startsWith('/api/v1') && !url.startsWith('/client/v1/resources')) continue;
      for (const [method, op] of Object.entries(methods)) {
        const problem = Object.values(op.responses['4XX']?.content ?? {})[0]?.schema;
        expect(problem?.properties?.code.enum, `${method} ${url}`).toEqual(Object.keys(ErrorCatalogue));
      }
    }
  });

  it('shows the dev-config upload as a form with the field virtualDomain and the file privateKey', () => {
    const body = paths['/api/v1/host-apps/{workspaceId}/{appId}/dev-config'].put.requestBody!;
    expect(Object.keys(body.content)).toEqual(['multipart/form-data']);
    const schema = body.content['multipart/form-data'].schema;
    expect(schema.required).toEqual(['virtualDomain']);
    expect(schema.properties).toMatchObject({
      virtualDomain: { type: 'string' },
      privateKey: { type: 'string', format: 'binary' },
    });
  });

  it('shows the package upload as a form with version, the file package and the optional range and platform', () => {
    const body = paths['/api/v1/mini-programs/{id}/packages'].post.requestBody!;
    expect(Object.keys(body.content)).toEqual(['multipart/form-data']);
    const schema = body.content['multipart/form-data'].schema;
    expect(schema.required?.sort()).toEqual(['package', 'version']);
    expect(schema.properties).toMatchObject({
      version: { type: 'string' },
      package: { type: 'string', format: 'binary' },
      clientVersionMin: { type: 'string' },
      clientVersionMax: { type: 'string' },
    });
    expect(Object.keys(schema.properties!).sort()).toEqual([
      'clientVersionMax',
      'clientVersionMin',
      'package',
      'platform',
      'releaseSignature',
      'version',
    ]);
  });

  it("offers the closed list of audit actions as the audit list's action filter", () => {
    const action = paths['/api/v1/audit-events'].get.parameters!.find((p) => p.name === 'action');
    expect(action).toMatchObject({ in: 'query', schema: { enum: [...AuditActions] } });
  });

  it('refuses an audit action filter outside the list', async () => {
    const { Client } = await import('./helpers/app.js');
    const admin = await Client.signIn(t.app);
    const res = await admin.get('/api/v1/audit-events?action=host-app.exploded');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'query.action' }] });
    expect((await admin.get('/api/v1/audit-events?action=session.created')).json().items[0]).toMatchObject({ action: 'session.created' });
  });
});

describe("the project's own docs", () => {
  const api = fs.readFileSync(path.join(root, 'docs/api.md'), 'utf8');

  it.each(Object.entries(ErrorCatalogue))('docs/api.md lists %s with its status', (code, entry) => {
    const statuses = [entry.status, ...((entry as { otherStatuses?: readonly number[] }).otherStatuses ?? [])].join(' / ');
    expect(api).toMatch(new RegExp(`^\\| ${statuses} +\\| \`${code}\` +\\|`, 'm'));
  });

  it('docs/api.md names every audit action', () => {
    for (const action of AuditActions) expect(api).toContain(`\`${action}\``);
  });

  it('never sends readers to a contract file outside the repository', () => {
    const files = [
      'README.md',
      ...fs.readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`),
      ...['contracts', 'server', 'console'].map((p) => `packages/${p}/README.md`),
      'e2e/README.md',
    ].filter((f) => f.endsWith('.md') && fs.existsSync(path.join(root, f)));
    for (const f of files) expect(fs.readFileSync(path.join(root, f), 'utf8'), f).not.toMatch(/API\.md|\.\.\/shared|shared\/API/);
  });
});
