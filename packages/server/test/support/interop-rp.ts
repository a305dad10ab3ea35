import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { TestService } from '../../../../test/support/test-service.ts';
import { browse, CookieJar, postSignIn, signInFormOf } from './authorize-flow.ts';

/**
 * A relying party's back-channel logout endpoint as an RP written with jose would have it
 * (OIDC Back-Channel Logout 1.0 §2.6): the logout token is verified against the issuer's live
 * JWKS from discovery (typ logout+jwt, iss, aud = the RP's client id, events member, sid or sub,
 * no nonce), 200 when valid, 400 otherwise. What it accepted and refused is recorded.
 */
export interface InteropRelyingParty {
  readonly origin: string;
  readonly accepted: JWTPayload[];
  readonly refused: string[];
  /** Set once the client is registered (the aud to expect). */
  clientId: string;
  close(): Promise<void>;
}

export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

export async function startInteropRelyingParty(issuer: string): Promise<InteropRelyingParty> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
    issuer: string;
  };
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const accepted: JWTPayload[] = [];
  const refused: string[] = [];
  const rp = { clientId: '' };
  const validate = async (logoutToken: string): Promise<JWTPayload> => {
    const { payload } = await jwtVerify(logoutToken, keys, {
      issuer: discovery.issuer,
      audience: rp.clientId,
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: '2 minutes',
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[backchannelLogoutEvent] !== 'object')
      throw new Error('no back-channel logout event');
    if (payload.sid === undefined && payload.sub === undefined) throw new Error('no sid or sub');
    if ('nonce' in payload) throw new Error('a logout token must not carry a nonce');
    return payload;
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      validate(form.get('logout_token') ?? '').then(
        (payload) => {
          accepted.push(payload);
          response.writeHead(200, { 'cache-control': 'no-store' }).end();
        },
        (error: unknown) => {
          refused.push(error instanceof Error ? error.message : String(error));
          response.writeHead(400).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(rp, {
    origin: `http://127.0.0.1:${port}`,
    accepted,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Waits (polling) until `check` returns a value, up to `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Drives the service's sign-in page over HTTP (its form, its cookies) and returns the callback URL. */
export async function signInThroughThePage(
  service: TestService,
  authorizationUrl: URL,
  credentials: { readonly email: string; readonly password: string },
): Promise<URL> {
  const jar = new CookieJar();
  const page = await browse(authorizationUrl.href, jar);
  if (page.status !== 200) throw new Error(`expected the sign-in page, got ${page.status}`);
  const posted = await postSignIn(service, jar, signInFormOf(await page.text()), credentials);
  if (posted.status !== 303) throw new Error(`expected a redirect, got ${posted.status}`);
  return new URL(posted.headers.get('location') ?? '');
}
