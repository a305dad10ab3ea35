import { rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { listenRestartably, type RestartableListener } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { startService } from '../src/app/start-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import {
  authorizeUrl,
  browse,
  CookieJar,
  codeFlowTokens,
  codeRequest,
  pkcePair,
  type RegisteredClient,
  refreshGrant,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { eventually } from './support/interop-rp.ts';
import { basic, postForm } from './support/oauth.ts';
import { readServiceFile } from './support/service-file.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';
const backchannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

/** What the relying party's back-channel endpoint saw. */
interface Delivery {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

/**
 * A relying party on loopback: records every request, answers the back-channel endpoint with
 * the statuses queued in `answers` (then 200), and `/moved` with a redirect to `/elsewhere`.
 */
function relyingParty() {
  const deliveries: Delivery[] = [];
  const answers: number[] = [];
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      deliveries.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body,
      });
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/elsewhere' }).end();
        return;
      }
      response.writeHead(answers.shift() ?? 200, { 'cache-control': 'no-store' }).end();
    });
  };
  return { deliveries, answers, handler };
}

let service: TestService;
let adminKey: string;
let userId: string;
let rp: ReturnType<typeof relyingParty>;
let rpServer: RestartableListener;
let client: RegisteredClient;
let quietClient: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  userId = await service.addUser(email, password);
  rp = relyingParty();
  rpServer = await listenRestartably(rp.handler);
  client = await registerClient(service, adminKey, {
    redirect_uris: [`${rpServer.origin}/callback`],
    post_logout_redirect_uris: [`${rpServer.origin}/signed-out`],
    backchannel_logout_uri: `${rpServer.origin}/backchannel`,
  });
  // A client with no back-channel URI: nothing may ever be sent for it.
  quietClient = await registerClient(service, adminKey, {
    redirect_uris: ['http://127.0.0.1:5555/callback'],
  });
});
afterAll(async () => {
  await rpServer.stop();
  await service.destroy();
});
afterEach(() => {
  service.clock.reset();
  rp.answers.length = 0;
});

/** Signs in through the page with `jar` and exchanges the code: the client's tokens. */
async function signInAt(
  target: RegisteredClient,
  jar = new CookieJar(),
  user: { readonly email: string; readonly password: string } = { email, password },
) {
  // A browser already signed in is answered with the code at once (single sign-on).
  const tokens = await codeFlowTokens(service, target, user, {
    jar,
    query: { scope: 'openid api' },
  });
  return { ...tokens, sid: String(decodeJwt(tokens.idToken).sid) };
}

/** Whether the browser's sign-in still answers an authorization request without the page. */
async function stillSignedIn(jar: CookieJar, target = client): Promise<boolean> {
  const { challenge } = pkcePair();
  const response = await browse(authorizeUrl(service, codeRequest(target, challenge)), jar);
  return response.status === 302 && (response.headers.get('location') ?? '').includes('code=');
}

const refreshAt = (target: RegisteredClient, refreshToken: string) =>
  refreshGrant(service, target, refreshToken);

/*
 * Every test waits for the deliveries it causes, matched by the browser session (sid) of its own
 * sign-in, never by count or arrival order on the shared receiver: the outbox is worked in the
 * background, so an earlier test's delivery (or retry, once a test moves the clock) can land in
 * any later test. A test that needs to count everything sent, or to script the answers, has its
 * own receiver and client.
 */

/** The claims of a delivery's logout token, decoded only (undefined when it carries none). */
function logoutClaimsOf(delivery: Delivery): JWTPayload | undefined {
  const token = new URLSearchParams(delivery.body).get('logout_token');
  if (token === null) return undefined;
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** The deliveries to `path` on `receiver` whose logout token names the browser session `sid`. */
function deliveriesFor(sid: string, receiver = rp, path = '/backchannel'): Delivery[] {
  return receiver.deliveries.filter((d) => d.path === path && logoutClaimsOf(d)?.sid === sid);
}

/** The first delivery for the browser session `sid` (waits for it). */
function deliveryFor(sid: string, receiver = rp, path = '/backchannel'): Promise<Delivery> {
  return eventually(() => deliveriesFor(sid, receiver, path)[0]);
}

/**
 * Waits until the outbox holds nothing pending for the browser session: every entry delivered,
 * dropped or dead. The receiver records a request before it answers and the entry leaves only
 * after the answer, so from here on no delivery for `sid` is still to come.
 */
function outboxSettledFor(sid: string): Promise<true> {
  return eventually(() => (pendingFor(sid) === 0 ? true : undefined));
}

/** A relying party of the test's own: its receiver (stop it) and its client at the service. */
async function ownRelyingParty(backchannelPath = '/backchannel') {
  const receiver = relyingParty();
  const server = await listenRestartably(receiver.handler);
  const registered = await registerClient(service, adminKey, {
    redirect_uris: [`${server.origin}/callback`],
    backchannel_logout_uri: `${server.origin}${backchannelPath}`,
  });
  return { receiver, server, client: registered };
}

/** Verifies a logout token as a relying party would, with jose against the service's JWKS. */
async function verifiedLogoutToken(
  delivery: Delivery,
  audience = client.clientId,
  subject = userId,
) {
  expect(delivery.contentType).toBe('application/x-www-form-urlencoded');
  const form = new URLSearchParams(delivery.body);
  expect([...form.keys()]).toEqual(['logout_token']);
  const jwks = await call(service.url, 'GET', '/.well-known/jwks.json');
  const keySet = createLocalJWKSet(jwks.body as { keys: [] });
  const { payload, protectedHeader } = await jwtVerify(form.get('logout_token') ?? '', keySet, {
    issuer: service.url,
    audience,
    typ: 'logout+jwt',
    requiredClaims: ['iat', 'exp', 'jti', 'sub', 'events'],
  });
  expect(protectedHeader.typ).toBe('logout+jwt');
  expect(payload.events).toEqual({ [backchannelEvent]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(payload.sub).toBe(subject);
  expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(120);
  return payload;
}

/** Outbox entries not yet delivered nor dead for a browser session (read, not claimed). */
function pendingFor(sid: string): number {
  const row = readServiceFile(
    service,
    (file) =>
      file
        .prepare(
          'SELECT COUNT(*) AS n FROM backchannel_logouts WHERE browser_session_id = ? AND dead_at IS NULL',
        )
        .get(sid) as { n: number },
  );
  return Number(row.n);
}

/** The last recorded failure of the browser session's pending entry (undefined: none pending). */
function outboxErrorFor(sid: string): string | null | undefined {
  const row = readServiceFile(
    service,
    (file) =>
      file
        .prepare(
          'SELECT last_error FROM backchannel_logouts WHERE browser_session_id = ? AND dead_at IS NULL',
        )
        .get(sid) as { last_error: string | null } | undefined,
  );
  return row?.last_error;
}

describe('RP-initiated logout (GET|POST /oauth/logout)', () => {
  it('with a valid id_token_hint ends the browser session and its client sessions, and returns to the registered URI with state', async () => {
    const signedIn = await signInAt(client);
    expect(await stillSignedIn(signedIn.jar)).toBe(true);
    const url = `${service.url}/oauth/logout?${new URLSearchParams({
      id_token_hint: signedIn.idToken,
      post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
      state: 'st-1',
    })}`;
    const response = await browse(url, signedIn.jar);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${rpServer.origin}/signed-out?state=st-1`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(
      response.headers.getSetCookie().some((line) => /^__Host-writ-sso=;.*Max-Age=0/.test(line)),
    ).toBe(true);
    expect(await stillSignedIn(signedIn.jar)).toBe(false);
    // The client session opened through it ended with it...
    expect((await refreshAt(client, signedIn.refreshToken)).body.error).toBe('invalid_grant');
    // ...and the relying party is told.
    const payload = await verifiedLogoutToken(await deliveryFor(signedIn.sid));
    expect(payload.sid).toBe(signedIn.sid);
  });

  it('accepts an expired id_token_hint (the spec allows it) and POST as a form', async () => {
    const signedIn = await signInAt(client);
    const claims = decodeJwt(signedIn.idToken);
    const nowSec = Math.floor(Date.now() / 1000);
    const expired = await service.context.signer.sign({
      typ: 'JWT',
      claims: { ...claims, iat: nowSec - 7200, exp: nowSec - 3600, auth_time: nowSec - 7200 },
    });
    const response = await fetch(`${service.url}/oauth/logout`, {
      method: 'POST',
      headers: { ...signedIn.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        id_token_hint: expired,
        client_id: client.clientId,
        post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
      }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${rpServer.origin}/signed-out`);
    expect(await stillSignedIn(signedIn.jar)).toBe(false);
    await verifiedLogoutToken(await deliveryFor(signedIn.sid));
  });

  it("ends the hint's session without the cookie (a relying party's cross-site POST), and never another user's sign-in", async () => {
    const ada = await signInAt(client);
    const bobEmail = 'bob@example.com';
    await service.addUser(bobEmail, password);
    const bobJar = new CookieJar();
    const { challenge } = pkcePair();
    await signInThroughPage(
      service,
      bobJar,
      authorizeUrl(service, codeRequest(client, challenge)),
      { email: bobEmail, password },
    );
    expect(await stillSignedIn(bobJar)).toBe(true);
    // Ada's hint, posted from the relying party's page in Bob's browser (no Lax cookie on a
    // cross-site POST either way): Ada's session ends, Bob stays signed in.
    const response = await fetch(`${service.url}/oauth/logout`, {
      method: 'POST',
      headers: { ...bobJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id_token_hint: ada.idToken }),
      redirect: 'manual',
    });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().join()).not.toContain('__Host-writ-sso=;');
    expect(await stillSignedIn(ada.jar)).toBe(false);
    expect(await stillSignedIn(bobJar)).toBe(true);
    await verifiedLogoutToken(await deliveryFor(ada.sid));
  });

  it('refuses a forged hint, an access token as hint and a hint for another client: nothing ends, no redirect', async () => {
    const signedIn = await signInAt(client);
    const [header = '', payload = ''] = signedIn.idToken.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...decodeJwt(signedIn.idToken), sub: 'usr_someone_else' }),
    ).toString('base64url');
    const hints = [
      `${header}.${forgedPayload}.${signedIn.idToken.split('.')[2]}`,
      `${header}.${payload}.AAAA`,
      signedIn.accessToken,
    ];
    for (const hint of hints) {
      const response = await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({
          id_token_hint: hint,
          post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
        })}`,
        signedIn.jar,
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
    const mismatch = await browse(
      `${service.url}/oauth/logout?${new URLSearchParams({
        id_token_hint: signedIn.idToken,
        client_id: quietClient.clientId,
      })}`,
      signedIn.jar,
    );
    expect(mismatch.status).toBe(400);
    expect(await stillSignedIn(signedIn.jar)).toBe(true);
  });

  it('never redirects to a URI the client did not register: the service shows its own page', async () => {
    const signedIn = await signInAt(client);
    for (const target of [`${rpServer.origin}/elsewhere`, 'https://evil.example/signed-out']) {
      const jar = signedIn.jar;
      const response = await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({
          id_token_hint: signedIn.idToken,
          post_logout_redirect_uri: target,
          state: 'st',
        })}`,
        jar,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('location')).toBeNull();
      const html = await response.text();
      expect(html).toContain('You are signed out');
      expect(html).not.toContain(target);
    }
    expect(await stillSignedIn(signedIn.jar)).toBe(false);
    await verifiedLogoutToken(await deliveryFor(signedIn.sid));
  });

  it('without a hint asks on a script-free, unframeable page, and ends the session only on its own confirmed form', async () => {
    const signedIn = await signInAt(client);
    const page = await browse(
      `${service.url}/oauth/logout?${new URLSearchParams({
        client_id: client.clientId,
        post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
        state: 'st-2',
      })}`,
      signedIn.jar,
    );
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('script-src');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(await stillSignedIn(signedIn.jar)).toBe(true);

    const fields = Object.fromEntries(
      [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [
        m[1] ?? '',
        (m[2] ?? '').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"'),
      ]),
    );
    expect(fields.state).toBe('st-2');
    const post = (form: Record<string, string>, jar: CookieJar) =>
      fetch(`${service.url}/oauth/logout/confirm`, {
        method: 'POST',
        headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
        redirect: 'manual',
      });
    // A forged confirmation (another site cannot read the value) and one whose redirect was
    // changed are refused.
    expect((await post({ ...fields, csrf: 'x'.repeat(43) }, signedIn.jar)).status).toBe(403);
    expect(
      (await post({ ...fields, post_logout_redirect_uri: 'https://evil.example/' }, signedIn.jar))
        .status,
    ).toBe(403);
    expect(await stillSignedIn(signedIn.jar)).toBe(true);

    const confirmed = await post(fields, signedIn.jar);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${rpServer.origin}/signed-out?state=st-2`);
    signedIn.jar.store(confirmed);
    expect(await stillSignedIn(signedIn.jar)).toBe(false);
    // The relying party is told.
    expect((await verifiedLogoutToken(await deliveryFor(signedIn.sid))).sid).toBe(signedIn.sid);
  });

  it('without a hint and without a sign-in, there is nothing to confirm', async () => {
    const response = await browse(
      `${service.url}/oauth/logout?${new URLSearchParams({
        client_id: client.clientId,
        post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
        state: 's',
      })}`,
      new CookieJar(),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${rpServer.origin}/signed-out?state=s`);
  });

  it('refuses a repeated parameter', async () => {
    const response = await browse(`${service.url}/oauth/logout?state=a&state=b`, new CookieJar());
    expect(response.status).toBe(400);
  });
});

describe('Back-Channel Logout 1.0', () => {
  /** The browser sessions named by the deliveries made for `subject`, in arrival order. */
  const sidsDeliveredFor = (subject: string) =>
    rp.deliveries
      .map(logoutClaimsOf)
      .flatMap((claims) => (claims?.sub === subject ? [claims.sid] : []));

  /**
   * A new user (its own: every live sign-in of the user may end, and other tests leave Ada's
   * open) signs in at the client in a browser and through the first-party API, and the API
   * session calls `endpoint`: the relying party gets one logout token, for the browser's session.
   */
  async function firstPartySignOutReachesTheRelyingParty(email: string, endpoint: string) {
    const user = { email, password };
    const subject = await service.addUser(user.email, user.password);
    const signedIn = await signInAt(client, new CookieJar(), user);
    const firstParty = await signInBody(service.url, user.email, user.password);
    const out = await call(service.url, 'POST', endpoint, { token: firstParty.access_token });
    expect(out.status).toBeLessThan(300);
    const delivered = await deliveryFor(signedIn.sid);
    const payload = await verifiedLogoutToken(delivered, client.clientId, subject);
    expect(payload.sid).toBe(signedIn.sid);
    await outboxSettledFor(signedIn.sid);
    expect(sidsDeliveredFor(subject)).toEqual([signedIn.sid]);
    return { signedIn, firstParty };
  }

  it('reaches the relying party when the user signs out everywhere', async () => {
    await firstPartySignOutReachesTheRelyingParty(
      'everywhere@example.com',
      '/auth/sign-out-everywhere',
    );
  });

  it('reaches the relying party when another device signs the browser out (sign-out-others)', async () => {
    const { signedIn, firstParty } = await firstPartySignOutReachesTheRelyingParty(
      'others@example.com',
      '/auth/sessions/sign-out-others',
    );
    expect((await refreshAt(client, signedIn.refreshToken)).body.error).toBe('invalid_grant');
    await call(service.url, 'POST', '/auth/sign-out', { token: firstParty.access_token });
  });

  it('reaches the relying party on refresh-token reuse, and on RFC 7009 revocation', async () => {
    const signedIn = await signInAt(client);
    const rotated = await refreshAt(client, signedIn.refreshToken);
    expect(rotated.status).toBe(200);
    const reused = await refreshAt(client, signedIn.refreshToken);
    expect(reused.body.error).toBe('invalid_grant');
    const payload = await verifiedLogoutToken(await deliveryFor(signedIn.sid));
    expect(payload.sid).toBe(signedIn.sid);

    const again = await signInAt(client);
    const revoked = await postForm(
      service.url,
      '/oauth/revoke',
      { token: again.refreshToken },
      { authorization: basic(client.clientId, client.clientSecret ?? '') },
    );
    expect(revoked.status).toBe(200);
    expect((await verifiedLogoutToken(await deliveryFor(again.sid))).sid).toBe(again.sid);
  });

  it('retries after a 500 with backoff and delivers on the 200', async () => {
    // Its own receiver: the scripted 500 is answered to this test's delivery and no other.
    const own = await ownRelyingParty();
    try {
      const signedIn = await signInAt(own.client);
      own.receiver.answers.push(500);
      await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: signedIn.idToken })}`,
        signedIn.jar,
      );
      await deliveryFor(signedIn.sid, own.receiver);
      // The failure is on record (a retry scheduled, not yet due)...
      await eventually(() => (outboxErrorFor(signedIn.sid) === 'http_500' ? true : undefined));
      // ...and it is not sent again before the backoff...
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(own.receiver.deliveries).toHaveLength(1);
      // ...but again once it passed: a fresh token, accepted.
      service.clock.advance(13_000);
      const second = await eventually(() => own.receiver.deliveries[1]);
      const payload = await verifiedLogoutToken(second, own.client.clientId);
      expect(payload.sid).toBe(signedIn.sid);
      expect(payload.jti).not.toBe(logoutClaimsOf(own.receiver.deliveries[0] as Delivery)?.jti);
      // Delivered: the entry leaves the outbox.
      await outboxSettledFor(signedIn.sid);
      expect(own.receiver.deliveries).toHaveLength(2);
    } finally {
      await own.server.stop();
    }
  });

  it('gives up after the bound and keeps the dead entry for the operator', async () => {
    // Its own receiver: every request on it is one of this entry's attempts.
    const own = await ownRelyingParty();
    try {
      const signedIn = await signInAt(own.client);
      // 500 and 503 in turn, 503 last: each attempt's failure is told from the one before.
      const answers = [500, 503, 500, 503, 500, 503];
      own.receiver.answers.push(...answers);
      await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: signedIn.idToken })}`,
        signedIn.jar,
      );
      const attempts = () => deliveriesFor(signedIn.sid, own.receiver);
      await eventually(() => (attempts().length === 1 ? true : undefined));
      for (let attempt = 2; attempt <= 6; attempt++) {
        // The clock moves past the backoff only once the failed attempt's retry is scheduled:
        // moved before, the retry would be scheduled from the moved time and never come due.
        const failure = `http_${answers[attempt - 2]}`;
        await eventually(() => (outboxErrorFor(signedIn.sid) === failure ? true : undefined));
        service.clock.advance(20 * 60_000);
        await eventually(() => (attempts().length >= attempt ? true : undefined));
      }
      // The sixth failure makes the entry dead...
      await outboxSettledFor(signedIn.sid);
      // ...and dead, it is not tried again however long the clock runs.
      service.clock.advance(20 * 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(attempts()).toHaveLength(6);
      expect(own.receiver.deliveries).toHaveLength(6);
      // The operator sees it (never a token), and can send it again once the relying party is fixed.
      expect((await call(service.url, 'GET', '/admin/backchannel-logouts')).status).toBe(401);
      const listed = await call(service.url, 'GET', '/admin/backchannel-logouts', {
        token: adminKey,
      });
      expect(listed.status).toBe(200);
      const dead = (listed.body.dead as Record<string, unknown>[]).find(
        (e) => e.sid === signedIn.sid,
      );
      expect(dead).toMatchObject({
        client_id: own.client.clientId,
        sub: userId,
        attempts: 6,
        last_error: 'http_503',
      });
      expect(JSON.stringify(listed.body)).not.toContain('eyJ');
      const retried = await call(
        service.url,
        'POST',
        `/admin/backchannel-logouts/${dead?.id}/retry`,
        {
          token: adminKey,
        },
      );
      expect(retried.status).toBe(202);
      const delivered = await eventually(() => attempts()[6]);
      expect((await verifiedLogoutToken(delivered, own.client.clientId)).sid).toBe(signedIn.sid);
      const unknown = await call(
        service.url,
        'POST',
        `/admin/backchannel-logouts/${dead?.id}/retry`,
        {
          token: adminKey,
        },
      );
      expect(unknown.status).toBe(404);
    } finally {
      await own.server.stop();
    }
  });

  it('calls only the registered URI: a redirect is a failure, never followed; a client without a URI gets nothing', async () => {
    // Its own receiver: every request on it (a followed redirect too) is this test's.
    const own = await ownRelyingParty('/moved');
    try {
      const moved = own.client;
      const jar = new CookieJar();
      const signedIn = await signInAt(moved, jar);
      await signInAt(quietClient, jar);
      await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: signedIn.idToken })}`,
        jar,
      );
      const entries = () =>
        readServiceFile(
          service,
          (file) =>
            file
              .prepare(
                'SELECT client_id, last_error FROM backchannel_logouts WHERE browser_session_id = ? ORDER BY client_id',
              )
              .all(signedIn.sid) as { client_id: string; last_error: string | null }[],
        );
      // Settled: the quiet client's entry is gone and the moved one's failure recorded. A
      // followed redirect would have been requested before the failure was.
      const rows = await eventually(() => {
        const found = entries();
        return found.length === 1 && found[0]?.last_error !== null ? found : undefined;
      });
      // The quiet client's entry went without a call; the moved one waits to be retried.
      expect(rows).toEqual([{ client_id: moved.clientId, last_error: 'redirect' }]);
      expect(pendingFor(signedIn.sid)).toBe(1);
      expect(own.receiver.deliveries.map((d) => d.path)).toEqual(['/moved']);
      expect(logoutClaimsOf(own.receiver.deliveries[0] as Delivery)?.sid).toBe(signedIn.sid);
    } finally {
      await own.server.stop();
    }
  });
});

describe('when the service cannot sign', () => {
  it('counts the attempt as failed (signing_failed) and retries within the bound', async () => {
    const signedIn = await signInAt(client);
    const signer = service.context.signer;
    const sign = signer.sign.bind(signer);
    (signer as { sign: typeof signer.sign }).sign = (request) =>
      request.typ === 'logout+jwt' ? Promise.reject(new Error('no key')) : sign(request);
    try {
      await browse(
        `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: signedIn.idToken })}`,
        signedIn.jar,
      );
      const row = await eventually(() => {
        const found = readServiceFile(
          service,
          (file) =>
            file
              .prepare(
                'SELECT attempts, last_error FROM backchannel_logouts WHERE browser_session_id = ?',
              )
              .get(signedIn.sid) as { attempts: number; last_error: string | null } | undefined,
        );
        return found?.last_error === null ? undefined : found;
      });
      expect(row).toEqual({ attempts: 1, last_error: 'signing_failed' });
    } finally {
      (signer as { sign: typeof signer.sign }).sign = sign;
    }
    service.clock.advance(13_000);
    expect((await verifiedLogoutToken(await deliveryFor(signedIn.sid))).sid).toBe(signedIn.sid);
  });
});

describe('what ends with the browser session', () => {
  it('ends the client sessions opened through it, except those granted offline_access (told all the same)', async () => {
    const jar = new CookieJar();
    const online = await signInAt(client, jar);
    // Signed in already: the second authorization is answered by single sign-on.
    const offline = await codeFlowTokens(
      service,
      client,
      { email, password },
      { jar, query: { scope: 'openid offline_access api' } },
    );
    await browse(
      `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: online.idToken })}`,
      jar,
    );
    // One logout token for the client and browser session, though two of its sessions came from it.
    const payload = await verifiedLogoutToken(await deliveryFor(online.sid));
    expect(payload.sid).toBe(online.sid);
    await outboxSettledFor(online.sid);
    expect(deliveriesFor(online.sid)).toHaveLength(1);
    expect((await refreshAt(client, online.refreshToken)).body.error).toBe('invalid_grant');
    expect((await refreshAt(client, String(offline.body.refresh_token))).status).toBe(200);
  });

  it('tells no client disabled since the session ended', async () => {
    const doomed = await registerClient(service, adminKey, {
      redirect_uris: [`${rpServer.origin}/callback-doomed`],
      backchannel_logout_uri: `${rpServer.origin}/doomed`,
    });
    const signedIn = await signInAt(doomed);
    const disabled = await call(service.url, 'DELETE', `/admin/clients/${doomed.clientId}`, {
      token: adminKey,
    });
    expect(disabled.status).toBeLessThan(300);
    await browse(
      `${service.url}/oauth/logout?${new URLSearchParams({ id_token_hint: signedIn.idToken })}`,
      signedIn.jar,
    );
    // The entry (queued with the logout) is settled: dropped, or (were the client told) delivered.
    await outboxSettledFor(signedIn.sid);
    expect(rp.deliveries.map((d) => d.path)).not.toContain('/doomed');
  });
});

describe('the back-channel outbox across a restart', () => {
  it('delivers what a stopped service could not, once it runs again', async () => {
    const own = await startTestService();
    const ownAdmin = await own.addKey('admin');
    await own.addUser(email, password);
    const listener = relyingParty();
    const server = await listenRestartably(listener.handler);
    try {
      const registered = await registerClient(own, ownAdmin, {
        redirect_uris: [`${server.origin}/callback`],
        backchannel_logout_uri: `${server.origin}/backchannel`,
      });
      const { jar, idToken } = await codeFlowTokens(
        own,
        registered,
        { email, password },
        { query: { scope: 'openid' } },
      );
      // The relying party is down: the attempt fails and the entry waits in the outbox.
      await server.stop();
      const out = await browse(
        `${own.url}/oauth/logout?${new URLSearchParams({ id_token_hint: idToken })}`,
        jar,
      );
      expect(out.status).toBe(200);
      // The attempt failed (on record) before the service stops.
      const failure = await eventually(() => {
        const row = readServiceFile(
          own,
          (file) =>
            file.prepare('SELECT attempts, last_error FROM backchannel_logouts').get() as
              | { attempts: number; last_error: string | null }
              | undefined,
        );
        return row?.last_error == null ? undefined : row;
      });
      expect(failure.attempts).toBe(1);
      await own.close();
      expect(listener.deliveries).toHaveLength(0);

      await server.start();
      const config = loadConfig({ env: own.env, cwd: own.dataDir, warn: () => {} });
      const clock = { nowMs: () => Date.now() + 20 * 60_000 };
      const again = await startService(config, { logger: false, clock });
      try {
        const delivery = await eventually(() =>
          listener.deliveries.find((d) => d.path === '/backchannel'),
        );
        const form = new URLSearchParams(delivery.body);
        const claims = decodeJwt(form.get('logout_token') ?? '');
        expect(claims.aud).toBe(registered.clientId);
        expect(claims.sid).toBe(decodeJwt(idToken).sid);
      } finally {
        await again.close();
      }
    } finally {
      await server.stop();
      rmSync(own.dataDir, { recursive: true, force: true });
    }
  });
});
