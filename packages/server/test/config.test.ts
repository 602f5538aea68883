import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', publicUrl: 'http://localhost:8080' });
    expect(c.databaseUrl).toMatch(/^sqlite:.*data[/\\]mpop\.db$/);
  });

  it('reads MPOP_TRUST_PROXY as a flag, a hop count or a list of proxies', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ MPOP_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ MPOP_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ MPOP_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ MPOP_MASTER_KEY: 'c2hvcnQ=' }, /MPOP_MASTER_KEY.*32 bytes/],
    [{ MPOP_ADMIN_USERNAME: 'admin' }, /MPOP_ADMIN_PASSWORD/],
    [{ MPOP_ADMIN_USERNAME: 'admin', MPOP_ADMIN_PASSWORD: 'short' }, /12 characters/],
    [{ MPOP_PUBLIC_URL: 'not a url' }, /MPOP_PUBLIC_URL/],
    [{ MPAAS_ENDPOINT: 'mpaas.example.com' }, /MPAAS_ACCESS_KEY_ID, MPAAS_ACCESS_KEY_SECRET/],
  ])('rejects %j with a message naming what to fix', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
