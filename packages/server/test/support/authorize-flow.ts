import { createHash, randomBytes } from 'node:crypto';
import { call } from '../../../../test/support/api-client.ts';
import type { TestService } from '../../../../test/support/test-service.ts';
import { basic, type FormResponse, postForm } from './oauth.ts';

/** Helpers that drive the authorization endpoint the way a browser and a client would. */

export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly redirectUri: string;
}

export async function registerClient(
  service: TestService,
  adminKey: string,
  metadata: Record<string, unknown> = {},
): Promise<RegisteredClient> {
  const body = {
    client_name: 'Notes',
    redirect_uris: ['http://127.0.0.1:5555/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile offline_access api',
    audiences: ['https://api.writ.test'],
    ...metadata,
  };
  const response = await call(service.url, 'POST', '/admin/clients', { token: adminKey, body });
  if (response.status !== 201)
    throw new Error(
      `client registration failed: ${response.status} ${JSON.stringify(response.body)}`,
    );
  const redirectUris = response.body.redirect_uris as string[];
  return {
    clientId: String(response.body.client_id),
    clientSecret:
      response.body.client_secret === undefined ? undefined : String(response.body.client_secret),
    redirectUri: redirectUris[0] ?? '',
  };
}

export function pkcePair(): { readonly verifier: string; readonly challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A browser's cookies for one origin: what Set-Cookie stored, sent back on each request. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (/;\s*max-age=0/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  header(): Record<string, string> {
    if (this.#cookies.size === 0) return {};
    return {
      cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
  }
}

export function authorizeUrl(
  service: { readonly url: string },
  params: Record<string, string>,
): string {
  return `${service.url}/oauth/authorize?${new URLSearchParams(params)}`;
}

/** The query of the standard authorization request for `client`, with overrides. */
export function codeRequest(
  client: RegisteredClient,
  challenge: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid api',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(12).toString('base64url'),
    nonce: randomBytes(12).toString('base64url'),
    ...overrides,
  };
}

/** GET with the jar's cookies, without following redirects; the jar keeps what was set. */
export async function browse(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { headers: jar.header(), redirect: 'manual' });
  jar.store(response);
  return response;
}

export interface SignInFormFields {
  readonly request: string;
  readonly csrf: string;
  readonly action: string;
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The hidden fields and action of the sign-in page's form. */
export function signInFormOf(html: string): SignInFormFields {
  const field = (name: string) => {
    const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    if (match?.[1] === undefined) throw new Error(`the page has no ${name} field`);
    return unescapeHtml(match[1]);
  };
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined) throw new Error('the page has no form');
  return { request: field('request'), csrf: field('csrf'), action };
}

/** Posts the sign-in form as a browser would (same origin, the jar's cookies). */
export async function postSignIn(
  service: TestService,
  jar: CookieJar,
  form: SignInFormFields,
  credentials: { readonly email: string; readonly password: string },
  overrides: Record<string, string> = {},
): Promise<Response> {
  const response = await fetch(`${service.url}${form.action}`, {
    method: 'POST',
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      request: form.request,
      csrf: form.csrf,
      email: credentials.email,
      password: credentials.password,
      ...overrides,
    }),
    redirect: 'manual',
  });
  jar.store(response);
  return response;
}

/** The parameters of a redirect to the client (the Location of a 302/303). */
export function redirectParams(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (location === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location).searchParams;
}

/** `POST /oauth/token` for `authorization_code`, authenticated as the client (Basic). */
export async function exchangeCode(
  service: TestService,
  client: RegisteredClient,
  params: Record<string, string>,
): Promise<{ readonly status: number; readonly body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  const form: Record<string, string> = { grant_type: 'authorization_code', ...params };
  if (client.clientSecret === undefined) form.client_id = client.clientId;
  else
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
    ).toString('base64')}`;
  const response = await fetch(`${service.url}/oauth/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Signs in through the page and returns the redirect's parameters (code, state, iss). */
export async function signInThroughPage(
  service: TestService,
  jar: CookieJar,
  url: string,
  credentials: { readonly email: string; readonly password: string },
): Promise<URLSearchParams> {
  const page = await browse(url, jar);
  if (page.status !== 200) throw new Error(`expected the sign-in page, got ${page.status}`);
  const form = signInFormOf(await page.text());
  const posted = await postSignIn(service, jar, form, credentials);
  if (posted.status !== 303) throw new Error(`expected a redirect, got ${posted.status}`);
  return redirectParams(posted);
}

/** The single sign-on cookie (authorize/browser-session.ts): a jar holding it is signed in. */
const browserSessionCookie = '__Host-writ-sso';

export interface CodeFlowTokens {
  /** The browser that ran the flow, signed in afterwards. */
  readonly jar: CookieJar;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly idToken: string;
  /** The token endpoint's whole answer. */
  readonly body: Record<string, unknown>;
}

export interface CodeFlowOptions {
  /** The browser to run in (default a new one). One already signed in gets the code at once. */
  readonly jar?: CookieJar;
  /** Overrides of the authorization request (`codeRequest`'s query). */
  readonly query?: Record<string, string>;
  /** Extra parameters of the code's redemption at the token endpoint (`resource`, …). */
  readonly redemption?: Record<string, string>;
}

/**
 * The authorization code flow as a browser and its client run it: the sign-in page (or, for a
 * browser already signed in, single sign-on straight to the code), then the code redeemed with
 * its PKCE verifier. Throws unless the token endpoint answers 200.
 */
export async function codeFlowTokens(
  service: TestService,
  client: RegisteredClient,
  credentials: { readonly email: string; readonly password: string },
  options: CodeFlowOptions = {},
): Promise<CodeFlowTokens> {
  const jar = options.jar ?? new CookieJar();
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(service, codeRequest(client, challenge, options.query));
  const result =
    jar.get(browserSessionCookie) === undefined
      ? await signInThroughPage(service, jar, url, credentials)
      : redirectParams(await browse(url, jar));
  const token = await exchangeCode(service, client, {
    code: result.get('code') ?? '',
    code_verifier: verifier,
    redirect_uri: client.redirectUri,
    ...options.redemption,
  });
  if (token.status !== 200) {
    throw new Error(`code redemption failed: ${token.status} ${JSON.stringify(token.body)}`);
  }
  return {
    jar,
    accessToken: String(token.body.access_token),
    refreshToken: String(token.body.refresh_token),
    idToken: String(token.body.id_token),
    body: token.body,
  };
}

/** `POST /oauth/token` for `refresh_token`, authenticated as the client (Basic). */
export function refreshGrant(
  service: TestService,
  client: RegisteredClient,
  refreshToken: string,
): Promise<FormResponse> {
  return postForm(
    service.url,
    '/oauth/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { authorization: basic(client.clientId, client.clientSecret ?? '') },
  );
}
