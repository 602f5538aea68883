import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, fastifyTrustProxy, loadConfig } from '../src/config.js';

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
    expect(loadConfig({ MPOP_TRUST_PROXY: 'fd00::/8,::1' }).trustProxy).toEqual(['fd00::/8', '::1']);
  });

  it('hands Fastify a hop count as a function that trusts that many hops (Fastify 5 itself would trust none)', () => {
    const trust = fastifyTrustProxy(2);
    expect(typeof trust).toBe('function');
    const hop = trust as (address: string, hop: number) => boolean;
    expect([hop('10.0.0.1', 0), hop('10.0.0.2', 1), hop('10.0.0.3', 2)]).toEqual([true, true, false]);
    expect(fastifyTrustProxy(true)).toBe(true);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });

  it.each([
    ['0', /hop count must be from 1 to 32.*leave it unset or set false/],
    ['33', /hop count must be from 1 to 32/],
    ['abc', /lists "abc", which is not an IP address or CIDR range/],
    ['999.1.1.1', /lists "999.1.1.1"/],
    ['10.0.0.0/33', /lists "10.0.0.0\/33"/],
    ['10.0.0.1, fd00::/129', /lists "fd00::\/129"/],
    ['10.0.0.0/8/8', /lists "10.0.0.0\/8\/8"/],
    ['true,10.0.0.1', /MPOP_TRUST_PROXY must be true, false, a hop count/],
  ])('refuses MPOP_TRUST_PROXY=%s, which the server would not honour, at start', (value, message) => {
    expect(() => loadConfig({ MPOP_TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MPOP_TRUST_PROXY: value })).toThrow(message);
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
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; it is "verbose"/],
    [{ MPOP_TRUST_PROXY: 'yes' }, /MPOP_TRUST_PROXY must be true, false, a hop count/],
    [{ MPOP_WORKERS: 'many' }, /MPOP_WORKERS/],
    [{ MPOP_WORKERS: '0' }, /MPOP_WORKERS/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a Redis URL/],
    [{ MPOP_PACKAGE_BASE_URL: 'cdn.example.com' }, /MPOP_PACKAGE_BASE_URL/],
    [{ MPOP_METRICS: 'yes' }, /MPOP_METRICS must be on or off/],
    [{ MPOP_PG_PREPARED_STATEMENTS: 'false' }, /MPOP_PG_PREPARED_STATEMENTS must be on or off/],
    [{ MPOP_RATE_LIMIT_PER_DEVICE: 'lots' }, /MPOP_RATE_LIMIT_PER_DEVICE must be client API requests per minute per device/],
    [{ MPOP_RATE_LIMIT_PER_ADDRESS: '200000000' }, /MPOP_RATE_LIMIT_PER_ADDRESS must be a whole number from 0 to 100000000/],
    [{ MPOP_REDIS_PREFIX: 'has space' }, /MPOP_REDIS_PREFIX/],
    [{ S3_FORCE_PATH_STYLE: 'yes' }, /S3_FORCE_PATH_STYLE must be true/],
    [{ MPOP_EVENTS_RETENTION_DAYS: '0' }, /MPOP_EVENTS_RETENTION_DAYS/],
    [{ MPOP_MANIFEST_TTL_HOURS: '0' }, /MPOP_MANIFEST_TTL_HOURS must be a whole number from 1 to 720; it is "0"/],
    [{ MPOP_MANIFEST_TTL_HOURS: '721' }, /MPOP_MANIFEST_TTL_HOURS must be a whole number from 1 to 720/],
    [{ MPOP_MANIFEST_TTL_HOURS: '1.5' }, /MPOP_MANIFEST_TTL_HOURS must be hours from 1 to 720/],
    [{ MPOP_SIGNING_THREADS: '0' }, /MPOP_SIGNING_THREADS must be a number of signing threads per process from 1 to 64, or auto/],
    [{ MPOP_SIGNING_THREADS: '65' }, /MPOP_SIGNING_THREADS/],
    [{ MPOP_SIGNING_THREADS: 'all' }, /MPOP_SIGNING_THREADS/],
    [{ MPOP_SIGNING_THREAD_HEAP_MB: '4' }, /MPOP_SIGNING_THREAD_HEAP_MB must be a whole number from 8 to 1024; it is "4"/],
    [{ MPOP_SIGNING_THREAD_HEAP_MB: 'big' }, /MPOP_SIGNING_THREAD_HEAP_MB must be megabytes of JavaScript heap per signing thread/],
    [{ MPOP_HEAP_GROWTH_PERCENT: '301' }, /MPOP_HEAP_GROWTH_PERCENT must be a whole number from 0 to 300; it is "301"/],
    [{ MPOP_HEAP_GROWTH_PERCENT: '1.5' }, /MPOP_HEAP_GROWTH_PERCENT must be a percent from 0 to 300/],
    [
      { MPOP_OIDC_ISSUER: 'https://id.example.com' },
      /Single sign-on is half configured: also set MPOP_OIDC_CLIENT_ID, MPOP_OIDC_CLIENT_SECRET/,
    ],
    [{ MPOP_LOCAL_SIGNIN: 'off' }, /MPOP_LOCAL_SIGNIN=off needs single sign-on/],
  ])('rejects %j with a message naming what to fix', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses the example passwords of the docs for the first admin', () => {
    for (const example of ['choose-a-long-passphrase', 'a-passphrase-of-12+-chars']) {
      expect(() => loadConfig({ MPOP_ADMIN_USERNAME: 'admin', MPOP_ADMIN_PASSWORD: example })).toThrow(
        /MPOP_ADMIN_PASSWORD is the example from the documentation/,
      );
    }
    expect(() => loadConfig({ MPOP_ADMIN_USERNAME: 'admin', MPOP_ADMIN_PASSWORD: 'my-own-long-passphrase' })).not.toThrow();
  });

  it('warns, when listening beyond this machine, of a localhost public URL, open metrics and every interface', () => {
    const open = loadConfig({}).warnings.join('\n');
    expect(open).toMatch(/MPOP_PUBLIC_URL is not set, so config files and package URLs carry http:\/\/localhost:8080/);
    expect(open).toMatch(/\/metrics is open to anyone who can reach every network interface: set MPOP_METRICS_TOKEN/);
    expect(open).toMatch(/listening on every network interface \(HOST is not set\)/);
    // Each is said only while it holds.
    expect(loadConfig({ HOST: '127.0.0.1' }).warnings).toEqual([]);
    expect(
      loadConfig({ HOST: '0.0.0.0', MPOP_PUBLIC_URL: 'https://mpop.example.com', MPOP_METRICS_TOKEN: 'a-scrape-token-of-16+' }).warnings,
    ).toEqual([]);
    expect(loadConfig({ HOST: '10.1.2.3', MPOP_PUBLIC_URL: 'https://mpop.example.com', MPOP_METRICS: 'off' }).warnings).toEqual([]);
    expect(loadConfig({ HOST: '10.1.2.3', MPOP_PUBLIC_URL: 'https://mpop.example.com' }).warnings).toEqual([
      '/metrics is open to anyone who can reach 10.1.2.3: set MPOP_METRICS_TOKEN (or MPOP_METRICS=off).',
    ]);
  });

  it('never echoes a secret it refuses', () => {
    expect(() => loadConfig({ MPOP_MASTER_KEY: 'not-a-key-but-secret' })).toThrow(/MPOP_MASTER_KEY/);
    expect(() => loadConfig({ MPOP_MASTER_KEY: 'not-a-key-but-secret' })).not.toThrow(/not-a-key-but-secret/);
    expect(() => loadConfig({ MPOP_METRICS_TOKEN: 'short' })).not.toThrow(/short"/);
  });

  it('limits each device and address by default, never a whole host app unless configured; 0 turns a limit off', () => {
    expect(loadConfig({}).rateLimits).toEqual({ perDevice: 60, perAddress: 3000, perHostApp: 0 });
    expect(loadConfig({}).redisPrefix).toBe('mpop:');
    expect(
      loadConfig({ MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '120000', MPOP_RATE_LIMIT_PER_HOST_APP: '600000' })
        .rateLimits,
    ).toEqual({ perDevice: 0, perAddress: 120000, perHostApp: 600000 });
    expect(loadConfig({ MPOP_PACKAGE_STORE: 's3://mpop-packages/p', S3_FORCE_PATH_STYLE: 'true' }).packageStore).toMatchObject({
      forcePathStyle: true,
    });
  });

  it('bounds the signing threads and their heap: one per core and 32 MiB each by default', () => {
    expect(loadConfig({})).toMatchObject({ signingThreads: Math.max(1, os.availableParallelism()), signingThreadHeapMb: 32 });
    expect(loadConfig({ MPOP_SIGNING_THREADS: 'auto' }).signingThreads).toBe(Math.max(1, os.availableParallelism()));
    expect(loadConfig({ MPOP_SIGNING_THREADS: '1', MPOP_SIGNING_THREAD_HEAP_MB: '64' })).toMatchObject({
      signingThreads: 1,
      signingThreadHeapMb: 64,
    });
  });

  it('reads the password hash cost as N,r,p: 16384,8,5 by default, bounded, and warns at every start when it is less work', () => {
    expect(loadConfig({}).passwordHashCost).toEqual({ N: 16384, r: 8, p: 5 });
    expect(loadConfig({ MPOP_PASSWORD_HASH_COST: '65536,8,2' })).toMatchObject({ passwordHashCost: { N: 65536, r: 8, p: 2 } });
    expect(loadConfig({ HOST: '127.0.0.1', MPOP_PASSWORD_HASH_COST: '65536,8,2' }).warnings).toEqual([]);
    const cheap = loadConfig({ HOST: '127.0.0.1', MPOP_PASSWORD_HASH_COST: '1024,8,1' });
    expect(cheap.passwordHashCost).toEqual({ N: 1024, r: 8, p: 1 });
    expect(cheap.warnings).toEqual([
      'MPOP_PASSWORD_HASH_COST=1024,8,1 is less work than the default (16384,8,5): passwords in a stolen database are that much quicker to guess. Use it for tests only.',
    ]);
    const refused: [string, RegExp][] = [
      ['16384,8', /MPOP_PASSWORD_HASH_COST must be the scrypt cost of password hashes as N,r,p, such as 16384,8,5/],
      ['12345,8,5', /N must be a power of two from 1024/],
      ['512,8,1', /N must be a power of two from 1024/],
      ['16384,0,5', /r and p must be at least 1/],
      ['16384,8,0', /r and p must be at least 1/],
      ['131072,8,1', /128 · N · r bytes must be at most 64 MiB \(this is 128 MiB\)/],
      ['16384,8,81', /N · r · p must be at most 16 times the default's/],
    ];
    for (const [raw, message] of refused) {
      expect(() => loadConfig({ MPOP_PASSWORD_HASH_COST: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ MPOP_PASSWORD_HASH_COST: raw })).toThrow(message);
    }
    // The largest allowed: 64 MiB, 16 times the work.
    expect(loadConfig({ MPOP_PASSWORD_HASH_COST: '65536,8,20' }).passwordHashCost).toEqual({ N: 65536, r: 8, p: 20 });
  });

  it('bounds the heap growth between full collections: 50 % by default, 0 leaves it to V8', () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(50);
    expect(loadConfig({ MPOP_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(loadConfig({ MPOP_HEAP_GROWTH_PERCENT: '120' }).heapGrowthPercent).toBe(120);
  });

  it('reads the delivery, SSO, metrics and retention variables', () => {
    const c = loadConfig({
      MPOP_PACKAGE_STORE: 's3://mpop-packages/prod/',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      MPOP_WORKERS: '2',
      MPOP_METRICS: 'off',
      MPOP_EVENTS_RETENTION_DAYS: '7',
      MPOP_PUBLIC_URL: 'https://mpop.example.com/',
    });
    expect(c.packageStore).toEqual({
      kind: 's3',
      bucket: 'mpop-packages',
      prefix: 'prod',
      endpoint: 'http://127.0.0.1:9000',
      region: undefined,
      forcePathStyle: false,
    });
    expect(c.packageBaseUrl).toBe('https://mpop.example.com/client/v1/packages');
    expect(c.workers).toBe(2);
    expect(c.metrics.enabled).toBe(false);
    expect(c.eventsRetentionDays).toBe(7);
    expect(c.manifestTtlHours).toBe(24);
    expect(loadConfig({ MPOP_MANIFEST_TTL_HOURS: '720' }).manifestTtlHours).toBe(720);
    expect(loadConfig({}).packageStore).toMatchObject({ kind: 'local' });
    expect(loadConfig({ MPOP_PACKAGE_BASE_URL: 'https://cdn.example.com/p/' }).packageBaseUrl).toBe('https://cdn.example.com/p');
  });
});
