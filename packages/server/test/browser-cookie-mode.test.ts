import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, startBrowserRig } from './support/browser-app.ts';

const password = 'correct horse battery staple';

let rig: BrowserRig;
let browser: Browser;
let appUrl: string;

beforeAll(async () => {
  rig = await startBrowserRig({ user: { email: 'bea@example.com', password } });
  ({ browser, appUrl } = rig);
}, 60_000);

afterAll(() => rig?.close());

describe('cookie mode in a real browser', () => {
  it('signs in on a page, calls the API with HttpOnly cookies, and refuses a request without the CSRF header', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);

    const signIn = await page.evaluate(async (pw) => {
      const response = await fetch('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bea@example.com', password: pw, mode: 'cookie' }),
      });
      return { status: response.status, body: await response.json() };
    }, password);
    expect(signIn.status).toBe(200);
    expect(Object.keys(signIn.body).sort()).toEqual(['csrf_token', 'expires_in']);
    const csrf = String(signIn.body.csrf_token);

    // The browser stored both cookies, and page scripts cannot read either.
    const cookies = await context.cookies();
    const access = cookies.find((c) => c.name === '__Host-writ-access');
    const refresh = cookies.find((c) => c.name === '__Secure-writ-refresh');
    expect(access).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(refresh).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/auth/refresh',
    });
    expect(await page.evaluate(() => document.cookie)).not.toContain('writ');

    const results = await page.evaluate(async (csrfToken) => {
      const me = await fetch('/api/me');
      const withoutCsrf = await fetch('/api/notes', { method: 'POST' });
      const withCsrf = await fetch('/api/notes', {
        method: 'POST',
        headers: { 'x-csrf-token': csrfToken },
      });
      return {
        me: { status: me.status, body: await me.json() },
        withoutCsrf: withoutCsrf.status,
        withCsrf: { status: withCsrf.status, body: await withCsrf.json() },
      };
    }, csrf);
    expect(results.me.status).toBe(200);
    expect(results.me.body.sub).toMatch(/^usr_/);
    expect(results.withoutCsrf).toBe(403);
    expect(results.withCsrf).toEqual({
      status: 200,
      body: { saved: true, by: results.me.body.sub },
    });

    // After a reload the page has lost the CSRF value; a refresh gives it back.
    await page.reload();
    const recovered = await page.evaluate(async () => {
      const response = await fetch('/auth/refresh', {
        method: 'POST',
        headers: { 'x-writ-refresh': '1' },
      });
      return { status: response.status, body: await response.json() };
    });
    expect(recovered).toEqual({ status: 200, body: { csrf_token: csrf, expires_in: 600 } });

    // Signing out needs the CSRF value too, and clears the cookies.
    const signOut = await page.evaluate(async (csrfToken) => {
      const refused = await fetch('/auth/sign-out', { method: 'POST' });
      const done = await fetch('/auth/sign-out', {
        method: 'POST',
        headers: { 'x-csrf-token': csrfToken },
      });
      const after = await fetch('/api/me');
      return { refused: refused.status, done: done.status, after: after.status };
    }, csrf);
    expect(signOut).toEqual({ refused: 403, done: 204, after: 401 });
    expect((await context.cookies()).filter((c) => c.name.includes('writ'))).toEqual([]);
    await context.close();
  });
});
