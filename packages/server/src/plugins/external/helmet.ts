import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

export interface SecurityHeadersOptions {
  /** MPOP_PUBLIC_URL is https: then browsers are told to use https only (HSTS) and to upgrade stray http loads. */
  https: boolean;
}

/**
 * The Content-Security-Policy of every document mpop serves: the console (index.html and its client-side routes)
 * and the API documentation at /api/docs. Everything loads from the platform itself; nothing may frame it.
 * - `style-src 'unsafe-inline'`: Ant Design and Swagger UI set styles at run time (CSS-in-JS, style attributes).
 *   Styles cannot run code; scripts stay strictly 'self', with no inline script and no eval.
 * - `img-src data:` and `font-src data:`: icons and fonts embedded in the bundles' CSS.
 * - `form-action 'self'`: "Sign in with SSO" is a link, so the redirect to the identity provider is not a form.
 */
export function contentSecurityPolicy(https: boolean): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'self'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/**
 * Security headers on every answer (helmet): the CSP above, `X-Frame-Options: DENY`, `nosniff`, no referrer to
 * other sites, same-origin opener and resources, and HSTS for a year when the platform is served over https.
 *
 * Not on the client API (`/client/v1`): its callers are apps, not browsers, its answers are JSON and zips, and it
 * is the hot path of every device's launch. Its scope sends `X-Content-Type-Options: nosniff` itself.
 */
export default fp<SecurityHeadersOptions>(async (app, opts) => {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/client/')) route.helmet = false;
  });
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(opts.https) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    strictTransportSecurity: opts.https ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
});
