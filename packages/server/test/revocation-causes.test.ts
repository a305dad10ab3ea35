import type { RevocationCause } from '@writ/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BodyTokens, call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { rotateKeysNow } from '../src/keys/emergency-rotation.ts';
import {
  authorizeUrl,
  CookieJar,
  codeRequest,
  exchangeCode,
  pkcePair,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { addRefreshingClient, basic, openClientSession, postForm } from './support/oauth.ts';

let service: TestService;
let consumerKey: string;
let adminKey: string;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
  consumerKey = await service.addKey('consumer');
  adminKey = await service.addKey('admin');
});
afterAll(() => service.destroy());

const sidOf = (tokens: BodyTokens) => String(decodeJwt(tokens.access_token).sid);

/** The log's entries for one target value, as [type, cause] pairs. */
async function entriesFor(value: string): Promise<Array<[string, string]>> {
  const log = await call(service.url, 'GET', '/revocations', { token: consumerKey });
  return (log.body.entries as Array<{ target: { type: string; value: string }; cause: string }>)
    .filter((entry) => entry.target.value === value)
    .map((entry) => [entry.target.type, entry.cause]);
}

async function signedIn(email: string): Promise<[string, BodyTokens, BodyTokens]> {
  const userId = await service.addUser(email, password);
  return [
    userId,
    await signInBody(service.url, email, password),
    await signInBody(service.url, email, password),
  ];
}

/** Acts as a user would; returns each target the act should revoke with its log entries. */
type Act = (email: string) => Promise<Array<[string, Array<[string, string]>]>>;

// Every cause @writ/core declares, each written by the path that owns it. Typed as a record of
// RevocationCause, so declaring a cause without a path (and a test here) does not compile.
const producers: Record<RevocationCause, Act> = {
  sign_out: async (email) => {
    const [, a] = await signedIn(email);
    await call(service.url, 'POST', '/auth/sign-out', { token: a.access_token });
    return [[sidOf(a), await entriesFor(sidOf(a))]];
  },
  session_deleted: async (email) => {
    const [, a, b] = await signedIn(email);
    const c = await signInBody(service.url, email, password);
    await call(service.url, 'DELETE', `/auth/sessions/${sidOf(b)}`, { token: a.access_token });
    await call(service.url, 'POST', '/auth/sessions/sign-out-others', {
      token: c.access_token,
    });
    // b deleted by id; a ended by "sign out the others" from c.
    return [
      [sidOf(b), await entriesFor(sidOf(b))],
      [sidOf(a), await entriesFor(sidOf(a))],
    ];
  },
  sign_out_everywhere: async (email) => {
    const [userId, a, b] = await signedIn(email);
    await call(service.url, 'POST', '/auth/sign-out-everywhere', { token: a.access_token });
    return [
      [sidOf(a), await entriesFor(sidOf(a))],
      [sidOf(b), await entriesFor(sidOf(b))],
      [userId, (await entriesFor(userId)).filter(([type]) => type === 'sub')],
    ];
  },
  client_disabled: async (email) => {
    const [userId] = await signedIn(email);
    const { client } = await addRefreshingClient(service);
    const opened = await openClientSession(service, client, userId);
    await call(service.url, 'DELETE', `/admin/clients/${client.clientId}`, { token: adminKey });
    return [
      [opened.session.id, await entriesFor(opened.session.id)],
      [client.clientId, await entriesFor(client.clientId)],
    ];
  },
  authorization_code_reuse: async (email) => {
    await signedIn(email);
    const client = await registerClient(service, adminKey);
    const { verifier, challenge } = pkcePair();
    const url = authorizeUrl(service, codeRequest(client, challenge));
    const result = await signInThroughPage(service, new CookieJar(), url, { email, password });
    const redemption = {
      code: result.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    };
    const first = await exchangeCode(service, client, redemption);
    const sid = String(decodeJwt(String(first.body.access_token)).sid);
    expect((await exchangeCode(service, client, redemption)).body.error).toBe('invalid_grant');
    return [[sid, await entriesFor(sid)]];
  },
  token_revoked: async (email) => {
    const [userId] = await signedIn(email);
    const { client, secret } = await addRefreshingClient(service);
    const auth = { authorization: basic(client.clientId, secret ?? '') };
    // RFC 7009 for each kind: an access token ends by its jti, a refresh token by its session.
    const byAccess = await openClientSession(service, client, userId);
    const jti = String(decodeJwt(byAccess.accessToken).jti);
    await postForm(service.url, '/oauth/revoke', { token: byAccess.accessToken }, auth);
    const byRefresh = await openClientSession(service, client, userId);
    await postForm(service.url, '/oauth/revoke', { token: byRefresh.refreshToken ?? '' }, auth);
    return [
      [jti, await entriesFor(jti)],
      [byRefresh.session.id, await entriesFor(byRefresh.session.id)],
    ];
  },
  refresh_reuse: async (email) => {
    const [, a] = await signedIn(email);
    const body = { refresh_token: a.refresh_token };
    await call(service.url, 'POST', '/auth/refresh', { body });
    await call(service.url, 'POST', '/auth/refresh', { body });
    return [[sidOf(a), await entriesFor(sidOf(a))]];
  },
  // Last: it withdraws the key every earlier act's tokens were signed with.
  key_compromised: async (email) => {
    const [, a] = await signedIn(email);
    const kid = String(decodeProtectedHeader(a.access_token).kid);
    await rotateKeysNow(service.context, { emergency: true, kid });
    return [[kid, await entriesFor(kid)]];
  },
};

describe('the revocation log records why, for every cause it declares', () => {
  it.each(Object.entries(producers))('%s', async (cause, act) => {
    const recorded = await act(`${cause}@example.com`);
    expect(recorded.length).toBeGreaterThan(0);
    for (const [, entries] of recorded) {
      expect(entries).toHaveLength(1);
      expect(entries[0]?.[1]).toBe(cause);
    }
  });
});
