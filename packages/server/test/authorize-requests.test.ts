import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  authorizeUrl,
  browse,
  CookieJar,
  codeRequest,
  pkcePair,
  type RegisteredClient,
  redirectParams,
  registerClient,
} from './support/authorize-flow.ts';

let service: TestService;
let adminKey: string;
let client: RegisteredClient;
let twoUris: RegisteredClient;
const { challenge } = pkcePair();

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  client = await registerClient(service, adminKey);
  twoUris = await registerClient(service, adminKey, {
    redirect_uris: ['http://127.0.0.1:5555/a', 'http://127.0.0.1:5555/b'],
  });
});
afterAll(() => service.destroy());

async function get(params: Record<string, string>): Promise<Response> {
  return browse(authorizeUrl(service, params), new CookieJar());
}

/** The sign-in page answers with HTML and never redirects. */
async function expectShownError(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return response.text();
}

describe('GET /oauth/authorize: client and redirect URI', () => {
  it('shows an unknown client on its own page, never redirecting', async () => {
    const response = await get(codeRequest({ ...client, clientId: 'wc_nobody' }, challenge));
    expect(await expectShownError(response)).toContain('no client this service knows');
  });

  it('shows a redirect URI the client did not register, never redirecting to it', async () => {
    for (const redirect of [
      'http://127.0.0.1:5555/callback/',
      'http://127.0.0.1:5555/callback?x=1',
      'http://127.0.0.1:5556/callback',
      'https://attacker.example/callback',
      'HTTP://127.0.0.1:5555/callback',
    ]) {
      const response = await get(codeRequest(client, challenge, { redirect_uri: redirect }));
      expect(await expectShownError(response)).toContain('has not registered');
    }
  });

  it('requires redirect_uri, even of a client with one registered URI', async () => {
    const params = codeRequest(client, challenge);
    delete (params as Record<string, string | undefined>).redirect_uri;
    await expectShownError(await get(params));
  });

  it('shows a repeated client_id or redirect_uri rather than picking one', async () => {
    const base = new URLSearchParams(codeRequest(twoUris, challenge));
    const repeatedClient = new URLSearchParams(base);
    repeatedClient.append('client_id', client.clientId);
    await expectShownError(
      await browse(`${service.url}/oauth/authorize?${repeatedClient}`, new CookieJar()),
    );
    const repeatedRedirect = new URLSearchParams(base);
    repeatedRedirect.append('redirect_uri', 'http://127.0.0.1:5555/b');
    await expectShownError(
      await browse(`${service.url}/oauth/authorize?${repeatedRedirect}`, new CookieJar()),
    );
  });

  it('shows a disabled client as unknown', async () => {
    const disabled = await registerClient(service, adminKey);
    const response = await fetch(`${service.url}/admin/clients/${disabled.clientId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(response.status).toBeLessThan(300);
    await expectShownError(await get(codeRequest(disabled, challenge)));
  });
});

describe('GET /oauth/authorize: errors sent to the verified redirect URI', () => {
  /** Every refusal here: a 302 to the registered URI with error, the same state, and iss. */
  async function expectRedirectedError(
    params: Record<string, string>,
    error: string,
    target = client,
  ): Promise<URLSearchParams> {
    const response = await get(params);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(
      params.redirect_uri ?? target.redirectUri,
    );
    const result = location.searchParams;
    expect(result.get('error')).toBe(error);
    expect(result.get('error_description')).toMatch(/^[\x20-\x7e]+$/);
    expect(result.get('iss')).toBe(service.url);
    if (params.state !== undefined) expect(result.get('state')).toBe(params.state);
    expect(result.get('code')).toBeNull();
    return result;
  }

  it('refuses plain PKCE', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { code_challenge_method: 'plain' }),
      'invalid_request',
    );
  });

  it('refuses a missing code_challenge, and a challenge without its method', async () => {
    const noChallenge = codeRequest(client, challenge);
    delete (noChallenge as Record<string, string | undefined>).code_challenge;
    await expectRedirectedError(noChallenge, 'invalid_request');
    const noMethod = codeRequest(client, challenge);
    delete (noMethod as Record<string, string | undefined>).code_challenge_method;
    await expectRedirectedError(noMethod, 'invalid_request');
  });

  it('refuses a challenge that is not an S256 value', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { code_challenge: 'short' }),
      'invalid_request',
    );
  });

  it('supports only response_type=code', async () => {
    for (const responseType of ['token', 'id_token', 'code id_token', 'code token']) {
      await expectRedirectedError(
        codeRequest(client, challenge, { response_type: responseType }),
        'unsupported_response_type',
      );
    }
    const none = codeRequest(client, challenge);
    delete (none as Record<string, string | undefined>).response_type;
    await expectRedirectedError(none, 'invalid_request');
  });

  it('refuses a scope the client is not allowed, and a missing scope', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { scope: 'openid admin' }),
      'invalid_scope',
    );
    const none = codeRequest(client, challenge);
    delete (none as Record<string, string | undefined>).scope;
    await expectRedirectedError(none, 'invalid_scope');
  });

  it("refuses a resource outside the client's audiences (RFC 8707)", async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { resource: 'https://other.example' }),
      'invalid_target',
    );
  });

  it('refuses a repeated parameter, without echoing a repeated state', async () => {
    const params = new URLSearchParams(codeRequest(client, challenge));
    params.append('scope', 'api');
    const response = await browse(`${service.url}/oauth/authorize?${params}`, new CookieJar());
    const result = redirectParams(response);
    expect(result.get('error')).toBe('invalid_request');
    expect(result.get('state')).toBe(params.get('state'));
    const states = new URLSearchParams(codeRequest(client, challenge));
    states.append('state', 'second');
    const stateResult = redirectParams(
      await browse(`${service.url}/oauth/authorize?${states}`, new CookieJar()),
    );
    expect(stateResult.get('error')).toBe('invalid_request');
    expect(stateResult.get('state')).toBeNull();
    expect(stateResult.get('iss')).toBe(service.url);
  });

  it('refuses request objects (JAR) and a request_uri of another origin', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { request: 'eyJhbGciOiJub25lIn0.e30.' }),
      'request_not_supported',
    );
    await expectShownError(
      await get({ client_id: client.clientId, request_uri: 'https://attacker.example/req' }),
    );
  });

  it('refuses unknown prompt values, a malformed max_age and other response modes', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { prompt: 'consent' }),
      'invalid_request',
    );
    await expectRedirectedError(
      codeRequest(client, challenge, { max_age: '-1' }),
      'invalid_request',
    );
    await expectRedirectedError(
      codeRequest(client, challenge, { response_mode: 'fragment' }),
      'invalid_request',
    );
  });

  it('answers prompt=none without a browser sign-in with login_required', async () => {
    await expectRedirectedError(
      codeRequest(client, challenge, { prompt: 'none' }),
      'login_required',
    );
  });

  it("keeps the registered redirect URI's own query and adds iss", async () => {
    const withQuery = await registerClient(service, adminKey, {
      redirect_uris: ['http://127.0.0.1:5555/cb?tenant=7'],
    });
    const response = await get(
      codeRequest(withQuery, challenge, { code_challenge_method: 'plain' }),
    );
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:5555/cb');
    expect(location.searchParams.get('tenant')).toBe('7');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('iss')).toBe(service.url);
  });
});

describe('POST /oauth/authorize (OIDC Core §3.1.2.1)', () => {
  async function post(body: URLSearchParams): Promise<Response> {
    return fetch(`${service.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
  }

  it('takes the request as a form as well, with the same checks', async () => {
    const page = await post(new URLSearchParams(codeRequest(client, challenge)));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/oauth/authorize/sign-in"');
    const plain = await post(
      new URLSearchParams(codeRequest(client, challenge, { code_challenge_method: 'plain' })),
    );
    expect(plain.status).toBe(302);
    expect(redirectParams(plain).get('error')).toBe('invalid_request');
    const stranger = await post(
      new URLSearchParams(
        codeRequest(client, challenge, { redirect_uri: 'https://attacker.example/cb' }),
      ),
    );
    await expectShownError(stranger);
    const repeated = new URLSearchParams(codeRequest(client, challenge));
    repeated.append('client_id', twoUris.clientId);
    await expectShownError(await post(repeated));
  });
});

describe('the sign-in page', () => {
  it("is the service's own HTML: no script, no external asset, never framed, never stored", async () => {
    const response = await get(codeRequest(client, challenge));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("form-action 'self' http://127.0.0.1:5555");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).toContain('action="/oauth/authorize/sign-in"');
    // The CSRF cookie: __Host-, HttpOnly, Secure, SameSite=Strict.
    const cookie = response.headers
      .getSetCookie()
      .find((line) => line.startsWith('__Host-writ-signin='));
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
  });

  it("escapes the client's name", async () => {
    const named = await registerClient(service, adminKey, { client_name: 'A <b>"bold"</b> & co' });
    const html = await (await get(codeRequest(named, challenge))).text();
    expect(html).toContain('A &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co');
    expect(html).not.toContain('<b>');
  });
});
