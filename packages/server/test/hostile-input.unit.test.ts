import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import hostileInput, { findUnsafe, jsonMayBeUnsafe } from '../src/plugins/app/hostile-input.js';

/**
 * The hostile-input walk on its own (hostile-input.test.ts sends the same through the real app): where it looks,
 * how it names what it found, and how many findings it reports.
 */

const NUL = '\u0000';
const LONE = '\ud800';
const NUL_REASON = 'must not contain NUL characters';
const LONE_REASON = 'must be valid Unicode text (it holds a lone surrogate)';

describe('findUnsafe', () => {
  it('finds nothing in clean values of every kind', () => {
    expect(findUnsafe({ a: 'x', b: [1, true, null, { c: 'é😀' }], d: undefined }, '')).toEqual([]);
    expect(findUnsafe('plain', '')).toEqual([]);
    expect(findUnsafe(null, '')).toEqual([]);
  });

  it('names the path of an unsafe value, from a prefix or from the root', () => {
    expect(findUnsafe({ user: { name: `a${NUL}` } }, '')).toEqual([{ path: 'user.name', message: NUL_REASON }]);
    expect(findUnsafe({ q: `a${LONE}` }, 'query')).toEqual([{ path: 'query.q', message: LONE_REASON }]);
    expect(findUnsafe({ list: ['ok', NUL] }, '')).toEqual([{ path: 'list.1', message: NUL_REASON }]);
    expect(findUnsafe(NUL, '')).toEqual([{ path: '(root)', message: NUL_REASON }]);
    expect(findUnsafe(NUL, 'query')).toEqual([{ path: 'query', message: NUL_REASON }]);
  });

  it('refuses an unsafe key, naming the object that holds it', () => {
    expect(findUnsafe({ map: { [`k${NUL}`]: '*' } }, '')).toEqual([{ path: 'map', message: `has a key that ${NUL_REASON}` }]);
    expect(findUnsafe({ [LONE]: 1 }, '')).toEqual([{ path: '(root)', message: `has a key that ${LONE_REASON}` }]);
    expect(findUnsafe({ [LONE]: 1 }, 'query')).toEqual([{ path: 'query', message: `has a key that ${LONE_REASON}` }]);
  });

  it('reports five findings by default, or the limit given', () => {
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, NUL]));
    expect(findUnsafe(many, '')).toHaveLength(5);
    expect(findUnsafe(many, '', 2)).toHaveLength(2);
    expect(findUnsafe(many, '', 8)).toHaveLength(8);
  });

  it('does not walk into a Buffer', () => {
    expect(findUnsafe({ file: Buffer.from([0, 0xd8, 0]) }, '')).toEqual([]);
  });

  it('tells JSON text that may hold an unsafe string by its \\u escapes', () => {
    expect(jsonMayBeUnsafe('{"a":"\\u0000"}')).toBe(true);
    expect(jsonMayBeUnsafe('{"a":"u0000 \\n"}')).toBe(false);
  });
});

describe('the hostile-input hook on a bare server', () => {
  const app = Fastify();
  beforeAll(async () => {
    await app.register(hostileInput);
    app.post('/echo/:id', async (request) => ({ body: request.body ?? null, query: request.query }));
    app.get('/echo/:id', async (request) => ({ params: request.params }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('refuses a NUL in the path or query only when escaped, and a \\u escape in a JSON body, naming each', async () => {
    const path = await app.inject({ method: 'GET', url: '/echo/a%00b' });
    expect(path.statusCode).toBe(400);
    expect(path.json().message).toBe(`The request is invalid: id ${NUL_REASON}.`);
    const query = await app.inject({ method: 'POST', url: '/echo/1?q=%00', payload: { ok: 'x' } });
    expect(query.statusCode).toBe(400);
    expect(query.json().message).toBe(`The request is invalid: query.q ${NUL_REASON}.`);
    const body = await app.inject({
      method: 'POST',
      url: '/echo/1',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":"\\u0000","b":"\\ud800"}',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().message).toBe(`The request is invalid: b ${LONE_REASON}; a ${NUL_REASON}.`);
  });

  it('lets clean requests through, and a JSON body whose escapes are harmless', async () => {
    expect((await app.inject({ method: 'GET', url: '/echo/a%20b' })).json()).toEqual({ params: { id: 'a b' } });
    const ok = await app.inject({
      method: 'POST',
      url: '/echo/1?q=%41',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":"\\u00e9"}',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ body: { a: 'é' }, query: { q: 'A' } });
    const malformed = await app.inject({
      method: 'POST',
      url: '/echo/1',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('refuses JSON that would poison a prototype', async () => {
    for (const payload of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      const res = await app.inject({ method: 'POST', url: '/echo/1', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode, payload).toBe(400);
    }
  });

  it('walks a body of another type (text) whole', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo/1', headers: { 'content-type': 'text/plain' }, payload: `a${NUL}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(`The request is invalid: (root) ${NUL_REASON}.`);
  });
});

describe('the refusal of the hostile-input hook', () => {
  it('lists each finding in errors[], for the problem answer', async () => {
    const app = Fastify();
    await app.register(hostileInput);
    app.setErrorHandler((err: { code?: string; errors?: unknown }, _request, reply) => {
      reply.code(400).send({ code: err.code, errors: err.errors });
    });
    app.post('/echo', async () => ({}));
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"\\u0000"}',
    });
    await app.close();
    expect(res.json()).toEqual({ code: 'VALIDATION_FAILED', errors: [{ path: 'name', message: NUL_REASON }] });
  });
});
