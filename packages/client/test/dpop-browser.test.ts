import { SignJWT } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { launchChromium } from '../../server/test/support/chromium.ts';
import { bundleClient } from '../../server/test/support/client-bundle.ts';
import { createNodeAuthenticator } from '../../verify/src/http/node.ts';
import { createDpopReplayCache, createVerifier, verifyDpopProof } from '../../verify/src/index.ts';

/**
 * The browser side of @writ/client's DPoP in a real Chromium: the key is non-extractable, is the
 * same after a reload (IndexedDB), and signs proofs @writ/verify accepts. The page and the API
 * share one origin on localhost, a secure context (WebCrypto and IndexedDB need one).
 */
const issuer = 'https://issuer.writ.test';
const audience = 'https://api.writ.test';
let signer: SigningKey;
let site: LoopbackListener;
let browser: Browser;
let siteUrl: string;

beforeAll(async () => {
  signer = await ed25519('as-1');
  const script = await bundleClient();
  const verifier = createVerifier({
    issuer,
    audience,
    jwks: { keys: [signer.publicJwk] },
    dpop: {},
  });
  const authenticate = createNodeAuthenticator(verifier);
  site = await listenOnLoopback(async (request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><script src="/writ-client.js"></script>');
      return;
    }
    if (request.url === '/writ-client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
      return;
    }
    const auth = await authenticate(request, response);
    if (auth === undefined) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ sub: auth.claims.sub, jkt: auth.claims.cnf?.jkt }));
  });
  // localhost, not 127.0.0.1: the name browsers treat as a secure context.
  siteUrl = `http://localhost:${site.port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

declare global {
  interface Window {
    WritClient: typeof import('../src/index.ts');
  }
}

interface KeyReport {
  readonly algorithm: string;
  readonly thumbprint: string;
  readonly stored: boolean;
  readonly extractable: boolean;
  readonly exportRefused: boolean;
}

/** Loads the prover in the page and inspects the stored key the way an injected script could. */
function reportKey(page: import('playwright-core').Page): Promise<KeyReport> {
  return page.evaluate(async () => {
    const prover = await window.WritClient.createDpopProver({ name: 'browser-test' });
    const record = await new Promise<{ privateKey?: CryptoKey } | undefined>((done, fail) => {
      const open = indexedDB.open('writ-dpop', 1);
      open.onerror = () => fail(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('keys').objectStore('keys').get('browser-test');
        get.onsuccess = () => {
          done(get.result as { privateKey?: CryptoKey } | undefined);
          open.result.close();
        };
        get.onerror = () => fail(get.error);
      };
    });
    const privateKey = record?.privateKey;
    let exportRefused = false;
    if (privateKey !== undefined) {
      exportRefused = await crypto.subtle.exportKey('jwk', privateKey).then(
        () => false,
        () => true,
      );
    }
    return {
      algorithm: prover.algorithm,
      thumbprint: prover.thumbprint,
      stored: privateKey instanceof CryptoKey,
      extractable: privateKey?.extractable ?? true,
      exportRefused,
    };
  });
}

describe('@writ/client DPoP in Chromium', () => {
  it('keeps a non-extractable key in IndexedDB across a reload and signs proofs a verifier accepts', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(siteUrl);
    const first = await reportKey(page);
    expect(first).toMatchObject({ stored: true, extractable: false, exportRefused: true });
    expect(['EdDSA', 'ES256']).toContain(first.algorithm);

    await page.reload();
    const second = await reportKey(page);
    expect(second.thumbprint).toBe(first.thumbprint);

    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'read', cnf: { jkt: first.thumbprint } })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid })
      .setIssuer(issuer)
      .setSubject('usr_browser')
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti('jti-browser')
      .sign(signer.privateKey);

    const called = await page.evaluate(async (accessToken) => {
      const prover = await window.WritClient.createDpopProver({ name: 'browser-test' });
      const url = `${location.origin}/me`;
      const call = async () =>
        fetch(url, {
          headers: {
            authorization: `DPoP ${accessToken}`,
            dpop: await prover.proof({ method: 'GET', url, accessToken }),
          },
        });
      const ok = await call();
      const again = await call();
      const standalone = await prover.proof({ method: 'POST', url: `${location.origin}/token` });
      return { status: ok.status, body: await ok.json(), again: again.status, standalone };
    }, token);
    expect(called.status).toBe(200);
    expect(called.body).toEqual({ sub: 'usr_browser', jkt: first.thumbprint });
    expect(called.again).toBe(200);

    // The same proof checked the way the token endpoint checks it.
    const checked = verifyDpopProof(called.standalone, {
      method: 'POST',
      url: `${siteUrl}/token`,
      nowSec: Math.floor(Date.now() / 1000),
      replay: createDpopReplayCache(),
    });
    expect(checked).toEqual({ ok: true, jkt: first.thumbprint });
    await context.close();
  });
});
