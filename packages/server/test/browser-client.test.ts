import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, startBrowserRig } from './support/browser-app.ts';
import { bundleClient } from './support/client-bundle.ts';

/** @writ/client running in a real browser page, in cookie mode, against the real service. */
const password = 'correct horse battery staple';

let rig: BrowserRig;
let browser: Browser;
let appUrl: string;

beforeAll(async () => {
  rig = await startBrowserRig({
    user: { email: 'cleo@example.com', password },
    scripts: { '/writ-client.js': await bundleClient() },
  });
  ({ browser, appUrl } = rig);
}, 60_000);

afterAll(() => rig?.close());

declare global {
  interface Window {
    WritClient: typeof import('../../client/src/index.ts');
  }
}

/** Runs `body` in the page with a fresh cookie-mode client as `client`. */
function inPage<T>(page: Page, body: string, arg?: unknown): Promise<T> {
  return page.evaluate(
    async ({ body: source, arg: value }) => {
      const client = window.WritClient.createWritClient({
        issuer: location.origin,
        mode: 'cookie',
      });
      const run = new Function('client', 'arg', `return (async () => { ${source} })();`) as (
        c: unknown,
        a: unknown,
      ) => Promise<unknown>;
      return run(client, value);
    },
    { body, arg },
  ) as Promise<T>;
}

describe('@writ/client in a real browser', () => {
  it('signs in, calls the API with the CSRF header added for it, survives a reload, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);

    const first = await inPage<Record<string, unknown>>(
      page,
      `
      await client.signIn('cleo@example.com', arg);
      const me = await client.fetch('/api/me');
      const note = await client.fetch('/api/notes', { method: 'POST' });
      const bare = await fetch('/api/notes', { method: 'POST' });
      return {
        me: me.status, sub: (await me.json()).sub, note: note.status, bare: bare.status,
        storage: localStorage.length + sessionStorage.length,
        cookies: document.cookie,
        state: JSON.stringify(client),
      };
      `,
      password,
    );
    expect(first).toMatchObject({ me: 200, note: 200, bare: 403, storage: 0 });
    expect(String(first.sub)).toMatch(/^usr_/);
    expect(String(first.cookies)).not.toContain('writ');
    expect(String(first.state)).not.toMatch(/eyJ|wrt_/);

    // A reload loses everything the page held; the client resumes from the HttpOnly cookies.
    await page.reload();
    const afterReload = await inPage<Record<string, unknown>>(
      page,
      `
      const resumed = await client.resume();
      const note = await client.fetch('/api/notes', { method: 'POST' });
      await client.signOut();
      const me = await fetch('/api/me');
      return { resumed, note: note.status, signedIn: client.signedIn, afterSignOut: me.status };
      `,
    );
    expect(afterReload).toEqual({ resumed: true, note: 200, signedIn: false, afterSignOut: 401 });
    await context.close();
  });
});
