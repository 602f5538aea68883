import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The claims each test account has, by login (the development login form accepts any login and password). */
export type Accounts = Record<string, Record<string, unknown>>;

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the client once the platform's redirect URI is known (its port may only be known after the issuer's). */
  registerClient: (redirectUri: string) => void;
  close: () => Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on 127.0.0.1, port 0, in-memory storage, with its development
 * login and consent pages. Accounts not in `accounts` sign in with only a `sub`. `idTokenClaims: false` keeps
 * profile claims out of the ID token (they are then only in the user info), as some providers do.
 */
export async function startOidcProvider(accounts: Accounts, options: { idTokenClaims?: boolean } = {}): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'mpop-test';
  const clientSecret = 'mpop-test-secret-0123456789abcdef';
  let handler: http.RequestListener | undefined;
  server.on('request', (req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end('the test provider has no client yet');
  });

  return {
    issuer,
    clientId,
    clientSecret,
    registerClient: (redirectUri: string) => {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        pkce: { methods: ['S256'], required: () => true },
        claims: {
          openid: ['sub'],
          profile: ['preferred_username', 'name', 'mpop_role', 'groups', 'realm_access'],
          email: ['email', 'email_verified'],
        },
        conformIdTokenClaims: options.idTokenClaims === false,
        features: { devInteractions: { enabled: true } },
        cookies: { keys: ['a-test-cookie-signing-key'] },
        findAccount: async (_ctx, sub) => ({
          accountId: sub,
          claims: async () => ({ sub, ...(accounts[sub] ?? {}) }),
        }),
      });
      handler = provider.callback();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
