import { describe, expect, it } from 'vitest';
import { normalizeVirtualDomain } from '../src/modules/host-apps/virtual-domain.js';

const refusal = (input: string) => {
  try {
    normalizeVirtualDomain(input);
  } catch (err) {
    return err as { code: string; status: number; detail: string; errors: { path: string; message: string }[] };
  }
  throw new Error(`"${input}" was accepted`);
};

describe('normalizeVirtualDomain', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Mini.Example.COM', 'mini.example.com'],
    ['  spaced.example.com  ', 'spaced.example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['x1.io', 'x1.io'],
    ['例子.测试', 'xn--fsqu00a.xn--0zwm56d'],
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
    [`${'a.'.repeat(125)}com`, `${'a.'.repeat(125)}com`],
    ['123.example', '123.example'],
  ])('takes %s as %s', (input, stored) => {
    expect(normalizeVirtualDomain(input)).toBe(stored);
  });

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['https://example.com', /scheme/],
    ['ftp://example.com', /scheme/],
    ['*.example.com', /wildcard/],
    ['example.com/path', /path/],
    ['example.com?q=1', /path, query/],
    ['example.com#top', /fragment/],
    ['example.com:8080', /port/],
    ['[::1]', /port or be an IPv6/],
    ['user@example.com', /user information/],
    ['localhost', /at least two labels/],
    ['example..com', /label that is empty/],
    ['-example.com', /starts or ends with a hyphen/],
    ['example-.com', /starts or ends with a hyphen/],
    ['exa_mple.com', /characters other than/],
    [`${'a'.repeat(64)}.com`, /longer than 63/],
    [`${'a.'.repeat(126)}com`, /longer than 253 characters/],
    ['192.168.0.1', /IP address/],
    ['10.0.0.256', /IP address/],
  ])('refuses %j with INVALID_VIRTUAL_DOMAIN', (input, why) => {
    const err = refusal(input);
    expect(err).toMatchObject({ code: 'INVALID_VIRTUAL_DOMAIN', status: 400 });
    expect(err.detail).toMatch(why);
    expect(err.errors).toEqual([{ path: 'virtualDomain', message: expect.stringMatching(why) }]);
    expect(err.detail).toMatch(/Enter a host name only, like example\.com\./);
  });
});
