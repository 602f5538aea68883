import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stdoutDestination, terminalLines } from '../src/lib/log-destination.js';
import { Client, startApp, type TestApp } from './helpers/app.js';

describe('log lines', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { LOG_LEVEL: 'info' });
  });
  afterAll(() => t.destroy());

  it('names the problem code of a refusal on its "request completed" line', async () => {
    const viewer = await Client.signIn(t.app);
    await viewer.get('/api/v1/host-apps/nope/NOPE');
    const completed = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request completed' && l.res?.statusCode === 404);
    expect(completed.at(-1)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('shows a person at a terminal one line per request, with method, path, status, code and time', async () => {
    // The server's own JSON lines for two requests, through the terminal formatter.
    const lines = t
      .logs()
      .split('\n')
      .filter((l) => l.includes('"incoming request"') || l.includes('"request completed"'));
    const format = terminalLines((line) => `${JSON.parse(line).msg}\n`);
    const shown = lines.map((l) => format(l)).join('');
    const out = shown.split('\n').filter(Boolean);
    // One line per request: as many as there were completions.
    expect(out).toHaveLength(lines.filter((l) => l.includes('"request completed"')).length);
    expect(out).toContainEqual(expect.stringMatching(/^GET \/api\/v1\/host-apps\/nope\/NOPE 404 NOT_FOUND [\d.]+ ms \(\S+\)$/));
    expect(out).toContainEqual(expect.stringMatching(/^POST \/api\/v1\/session 200 [\d.]+ ms/));
  });

  it('writes coloured single request lines through pino-pretty when stdout is a terminal', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const destination = stdoutDestination({ pretty: true, out });
    const base = { level: 30, time: Date.now(), pid: 1, hostname: 'h', reqId: 'r-1' };
    destination.stream.write(`${JSON.stringify({ ...base, req: { method: 'GET', url: '/healthz' }, msg: 'incoming request' })}\n`);
    destination.stream.write(`${JSON.stringify({ ...base, res: { statusCode: 200 }, responseTime: 1.25, msg: 'request completed' })}\n`);
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain.trim().split('\n')).toHaveLength(1);
    expect(plain).toMatch(/INFO.*GET \/healthz 200 1\.3 ms \(r-1\)/);
  });
});
