import type { FastifyInstance } from 'fastify';

export interface Page {
  url: URL;
  status: number;
  location?: string;
  body: string;
}

/**
 * Just enough of a browser for the single sign-on flow: a cookie jar per host, redirects followed by hand, the
 * provider's HTML forms submitted. Requests to the platform's origin go to the app in process (inject); the rest
 * (the OpenID provider) over real HTTP.
 */
export class SsoBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(
    private readonly app: FastifyInstance,
    readonly platformOrigin = 'http://mpop.test',
  ) {}

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  setCookie(host: string, name: string, value: string | undefined) {
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    if (value === undefined) cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(host, cookies);
  }

  async request(method: 'GET' | 'POST', url: URL, form?: URLSearchParams): Promise<Page> {
    const cookie = [...(this.jar.get(url.host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml', ...(cookie ? { cookie } : {}) };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (url.origin === this.platformOrigin) {
      const res = await this.app.inject({ method, url: url.pathname + url.search, headers, payload: form?.toString() });
      for (const c of res.cookies as { name: string; value: string; expires?: Date; maxAge?: number }[]) {
        const gone = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
        this.setCookie(url.host, c.name, gone ? undefined : c.value);
      }
      return { url, status: res.statusCode, location: res.headers.location as string | undefined, body: res.body };
    }
    const res = await fetch(url, { method, headers, body: form, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now());
      const value = pair.slice(eq + 1).trim();
      this.setCookie(url.host, pair.slice(0, eq).trim(), expired || !value ? undefined : value);
    }
    return { url, status: res.status, location: res.headers.get('location') ?? undefined, body: await res.text() };
  }

  /** Follows redirects from a first request until a page that is not a redirect, or one on the platform after `stopAt`. */
  async follow(method: 'GET' | 'POST', url: URL, form?: URLSearchParams): Promise<Page> {
    let page = await this.request(method, url, form);
    for (let hops = 0; page.status >= 300 && page.status < 400 && page.location; hops++) {
      if (hops > 20) throw new Error('too many redirects');
      const next = new URL(page.location, page.url);
      // The platform's last redirect goes to the console: that is where the flow ends.
      if (next.origin === this.platformOrigin && !next.pathname.startsWith('/api/')) return page;
      page = await this.request('GET', next);
    }
    return page;
  }

  /** Submits the form on a provider page with the given fields added to its hidden ones. */
  submit(page: Page, fields: Record<string, string> = {}): Promise<Page> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 300)}`);
    const form = new URLSearchParams();
    for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(m[1], m[2]);
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    return this.follow('POST', new URL(action.replace(/&amp;/g, '&'), page.url), form);
  }

  /**
   * Signs in with SSO as `login`: starts at the platform, signs in and consents at the provider, and comes back.
   * @returns the platform's last answer (a redirect to the console, or the refusal).
   */
  async signInWithSso(login: string, start = '/api/v1/session/oidc/start'): Promise<Page> {
    let page = await this.follow('GET', new URL(start, this.platformOrigin));
    for (let step = 0; page.url.origin !== this.platformOrigin; step++) {
      if (step > 4) throw new Error(`stuck at the provider: ${page.url} ${page.status} ${page.body.slice(0, 300)}`);
      page = /name="login"/.test(page.body) ? await this.submit(page, { login, password: 'any-password' }) : await this.submit(page);
    }
    return page;
  }

  /** The platform's session cookie header, for the test Client. */
  get sessionCookie(): string | undefined {
    const value = this.cookie(new URL(this.platformOrigin).host, 'mpop_session');
    return value && `mpop_session=${value}`;
  }
}
