import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  codeFlowTokens,
  type RegisteredClient,
  refreshGrant,
  registerClient,
} from './support/authorize-flow.ts';
import { eventually } from './support/interop-rp.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';

/** A relying party's back-channel endpoint on loopback: every logout token it was sent. */
const logoutTokens: string[] = [];
function backchannel(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', () => {
    if (request.url === '/backchannel') {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
    }
    response.writeHead(200, { 'cache-control': 'no-store' }).end();
  });
}

let service: TestService;
let rp: LoopbackListener;
let client: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  const adminKey = await service.addKey('admin');
  await service.addUser(email, password);
  await service.addUser('grace@example.com', password);
  rp = await listenOnLoopback(backchannel);
  client = await registerClient(service, adminKey, {
    redirect_uris: [`${rp.origin}/callback`],
    backchannel_logout_uri: `${rp.origin}/backchannel`,
  });
});
afterAll(async () => {
  await rp.close();
  await service.destroy();
});

/** Signs in through the authorization endpoint's page: the browser session and the client's tokens. */
async function signInThroughClient() {
  const tokens = await codeFlowTokens(
    service,
    client,
    { email, password },
    { query: { scope: 'openid api' } },
  );
  return {
    // The ID token's sid is the browser (SSO) session's id.
    browserSessionId: String(decodeJwt(tokens.idToken).sid),
    refreshToken: tokens.refreshToken,
  };
}

describe('DELETE /auth/sessions/:id', () => {
  it('of a browser session ends the client sessions opened through it and tells the relying party', async () => {
    const signedIn = await signInThroughClient();
    const owner = await signInBody(service.url, email, password);
    const listed = await call(service.url, 'GET', '/auth/sessions', { token: owner.access_token });
    const ids = (listed.body.sessions as Array<{ id: string }>).map((s) => s.id);
    expect(ids).toContain(signedIn.browserSessionId);

    const deleted = await call(
      service.url,
      'DELETE',
      `/auth/sessions/${signedIn.browserSessionId}`,
      { token: owner.access_token },
    );
    expect(deleted.status).toBe(204);

    // The client session opened through it ended with it: its refresh token is refused.
    const refreshed = await refreshGrant(service, client, signedIn.refreshToken);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');

    // And the relying party got a logout token for that browser session (matched by its sid,
    // not taken as the next to arrive: another sign-in's could be in flight).
    const logoutToken = await eventually(() =>
      logoutTokens.find((token) => decodeJwt(token).sid === signedIn.browserSessionId),
    );
    const jwks = await call(service.url, 'GET', '/.well-known/jwks.json');
    const { payload } = await jwtVerify(logoutToken, createLocalJWKSet(jwks.body as { keys: [] }), {
      issuer: service.url,
      audience: client.clientId,
      typ: 'logout+jwt',
    });
    expect(payload.sid).toBe(signedIn.browserSessionId);
  });

  it('of another user session writes nothing and answers 404 like an unknown id', async () => {
    const signedIn = await signInThroughClient();
    const other = await signInBody(service.url, 'grace@example.com', password);
    const before = await call(service.url, 'GET', '/auth/activity', { token: other.access_token });
    for (const id of [signedIn.browserSessionId, 'no-such-session']) {
      const answer = await call(service.url, 'DELETE', `/auth/sessions/${id}`, {
        token: other.access_token,
      });
      expect(answer.status).toBe(404);
    }
    const after = await call(service.url, 'GET', '/auth/activity', { token: other.access_token });
    expect(after.body.activity).toEqual(before.body.activity);
    const refreshed = await refreshGrant(service, client, signedIn.refreshToken);
    expect(refreshed.status).toBe(200);
  });
});
