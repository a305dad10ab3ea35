import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type LoopbackListener,
  listenOnLoopback,
} from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  authorizeUrl,
  codeRequest,
  exchangeCode,
  pkcePair,
  type RegisteredClient,
  registerClient,
} from './support/authorize-flow.ts';
import { launchChromium } from './support/chromium.ts';

const email = 'grace@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let callback: LoopbackListener;
let client: RegisteredClient;
let browser: Browser;

beforeAll(async () => {
  // localhost, not 127.0.0.1, for the service: browsers treat http://localhost as a secure
  // context, so its Secure and __Host- cookies work without TLS. The client's redirect URI is
  // another origin (127.0.0.1), as a real client's would be.
  const port = await freePort();
  service = await startTestService({
    WRIT_PORT: String(port),
    WRIT_ISSUER: `http://localhost:${port}`,
  });
  await service.addUser(email, password);
  callback = await listenOnLoopback((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>callback</title><p>signed in</p>');
  });
  client = await registerClient(service, await service.addKey('admin'), {
    redirect_uris: [`${callback.origin}/callback`],
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await service?.destroy();
});

describe('the sign-in page in Chromium', () => {
  it('signs in through the page, lands on the loopback redirect URI with a code, and is not asked again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { verifier, challenge } = pkcePair();
    const params = codeRequest(client, challenge);
    const base = `http://localhost:${new URL(service.url).port}`;
    const url = authorizeUrl({ url: base }, params);

    await page.goto(url);
    expect(await page.title()).toBe('Sign in');
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${callback.origin}/callback?**`), page.click('button')]);

    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe(params.state);
    expect(landed.searchParams.get('iss')).toBe(base);
    const code = landed.searchParams.get('code') ?? '';
    expect(code).toMatch(/^wac_/);
    const token = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(token.status).toBe(200);
    expect(typeof token.body.id_token).toBe('string');

    // The browser kept the sign-in cookie, HttpOnly, out of page scripts' reach.
    const sso = (await context.cookies(base)).find((cookie) => cookie.name === '__Host-writ-sso');
    expect(sso).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });

    // A second authorization goes straight back to the client: single sign-on.
    const again = pkcePair();
    const secondParams = codeRequest(client, again.challenge);
    await page.goto(authorizeUrl({ url: base }, secondParams));
    await page.waitForURL(`${callback.origin}/callback?**`);
    const second = new URL(page.url());
    expect(second.searchParams.get('state')).toBe(secondParams.state);
    expect(second.searchParams.get('code')).toMatch(/^wac_/);
    await context.close();
  });
});
