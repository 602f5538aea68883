import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app.js';

/** The console as the server hands it out: files by name, client-side routes to the app, missing files as 404s. */
describe('the console files', () => {
  let t: TestApp;
  let consoleDir: string;

  beforeAll(async () => {
    consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-console-'));
    fs.mkdirSync(path.join(consoleDir, 'assets'));
    fs.writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><title>mpop</title>');
    fs.writeFileSync(path.join(consoleDir, 'assets', 'index-3f2a9c.js'), 'console.log(1)');
    fs.writeFileSync(path.join(consoleDir, 'assets', 'index-77b1e0.css'), 'body{}');
    t = await startApp('sqlite', { MPOP_CONSOLE_DIR: consoleDir });
  });
  afterAll(async () => {
    await t.destroy();
    fs.rmSync(consoleDir, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('serves a client-side route with the console page, and a missing script as a 404 problem, never the page', async () => {
    const page = await get('/host-apps');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect((await get('/assets/index-3f2a9c.js')).statusCode).toBe(200);
    for (const missing of ['/assets/index-0ld0ld.js', '/assets/gone.css', '/favicon-old.png']) {
      const res = await get(missing);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().code).toBe('NOT_FOUND');
    }
  });

  it('counts every console file under one route label, so deploys do not add metric series', async () => {
    await get('/assets/index-3f2a9c.js');
    await get('/assets/index-77b1e0.css');
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/mpop_http_requests_total\{method="GET",route="\/assets\/\*",status="200"\} [1-9]/);
    expect(metrics).not.toMatch(/index-3f2a9c|index-77b1e0/);
  });
});
