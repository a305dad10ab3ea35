import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { sendErrorPage, sendSignInPage } from '../src/authorize/sign-in-page.ts';
import {
  sendConfirmationPage,
  sendLogoutErrorPage,
  sendSignedOutPage,
} from '../src/logout/logout-page.ts';
import {
  authorizeUrl,
  browse,
  CookieJar,
  codeRequest,
  pkcePair,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';

/**
 * Every page the service shows carries the same headers itself, whatever route or hook serves
 * it: never framed, never cached, no referrer, no type sniffing, a nonce'd stylesheet and no
 * script, and form posts only to the service (and the origin the post redirects to).
 */
function expectPageHeaders(headers: Headers, formRedirectOrigin?: string): void {
  expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(headers.get('cache-control')).toBe('no-store');
  expect(headers.get('pragma')).toBe('no-cache');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  const csp = (headers.get('content-security-policy') ?? '').split('; ');
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp.find((directive) => directive.startsWith('style-src'))).toMatch(
    /^style-src 'nonce-[A-Za-z0-9+/=]+'$/,
  );
  expect(csp).toContain(
    formRedirectOrigin === undefined
      ? "form-action 'self'"
      : `form-action 'self' ${formRedirectOrigin}`,
  );
  expect(csp.some((directive) => directive.startsWith('script-src'))).toBe(false);
}

function headersOf(injected: { headers: Record<string, unknown> }): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(injected.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  return headers;
}

describe('each page, served by a bare route (no app-wide security hook)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    app.get('/sign-in', (_request, reply) =>
      sendSignInPage(reply, 200, {
        request: 'handle',
        csrf: 'csrf',
        clientName: 'Notes',
        redirectUri: 'https://notes.example/callback',
        email: '',
        message: undefined,
      }),
    );
    app.get('/sign-in-error', (_request, reply) => sendErrorPage(reply, 400, 'no'));
    app.get('/logout-confirm', (_request, reply) =>
      sendConfirmationPage(reply, {
        csrf: 'csrf',
        clientId: 'wc_notes',
        redirectUri: 'https://notes.example/signed-out',
        state: 'st',
        clientName: 'Notes',
      }),
    );
    app.get('/signed-out', (_request, reply) => sendSignedOutPage(reply));
    app.get('/logout-error', (_request, reply) => sendLogoutErrorPage(reply, 400, 'no'));
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['/sign-in', 'https://notes.example'],
    ['/sign-in-error', undefined],
    ['/logout-confirm', 'https://notes.example'],
    ['/signed-out', undefined],
    ['/logout-error', undefined],
  ])('%s sends every page header itself', async (path, formRedirectOrigin) => {
    const response = await app.inject({ method: 'GET', url: path });
    expectPageHeaders(headersOf(response), formRedirectOrigin);
    const nonce = /'nonce-([^']+)'/.exec(String(response.headers['content-security-policy']))?.[1];
    expect(response.body).toContain(`<style nonce="${nonce}">`);
    expect(response.body).not.toMatch(/<script/i);
  });
});

describe('the sign-in page and the logout page, served by the service', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.destroy());

  it('answer with the same page headers', async () => {
    const client = await registerClient(service, await service.addKey('admin'));
    const signInUrl = authorizeUrl(service, codeRequest(client, pkcePair().challenge));
    const signIn = await browse(signInUrl, new CookieJar());
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('action="/oauth/authorize/sign-in"');
    expectPageHeaders(signIn.headers, 'http://127.0.0.1:5555');

    // The confirmation is asked of a browser that is signed in.
    const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' };
    await service.addUser(credentials.email, credentials.password);
    const jar = new CookieJar();
    await signInThroughPage(service, jar, signInUrl, credentials);
    const logout = await browse(`${service.url}/oauth/logout`, jar);
    expect(logout.status).toBe(200);
    expect(await logout.text()).toContain('action="/oauth/logout/confirm"');
    expectPageHeaders(logout.headers);

    const pageHeaderNames = (headers: Headers) =>
      [...headers.keys()].filter(
        (name) => !['set-cookie', 'content-length', 'date'].includes(name),
      );
    expect(pageHeaderNames(signIn.headers).sort()).toEqual(pageHeaderNames(logout.headers).sort());
  });
});
