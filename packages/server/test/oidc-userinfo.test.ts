import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { codeFlowTokens, type RegisteredClient, registerClient } from './support/authorize-flow.ts';
import { dpopProof, type ProofKey, proofKey } from './support/dpop-proof.ts';
import { addClient, basic, openClientSession, postForm } from './support/oauth.ts';

const email = 'grace@example.com';
const password = 'correct horse battery staple';
const otherAudience = 'https://notes.writ.test';

let service: TestService;
let adminKey: string;
let client: RegisteredClient;
let userId: string;
let userinfoUrl: string;

beforeAll(async () => {
  service = await startTestService();
  userinfoUrl = `${service.url}/oauth/userinfo`;
  adminKey = await service.addKey('admin');
  userId = await service.addUser(email, password);
  client = await registerClient(service, adminKey, {
    scope: 'openid email profile offline_access api',
    audiences: ['https://api.writ.test', otherAudience],
  });
});
afterAll(() => service.destroy());

/** The code flow through the sign-in page (`resource` is sent with the redemption too). */
function tokensFor(query: Record<string, string> = {}) {
  return codeFlowTokens(
    service,
    client,
    { email, password },
    {
      query,
      ...(query.resource === undefined ? {} : { redemption: { resource: query.resource } }),
    },
  );
}

async function userinfo(
  headers: Record<string, string>,
  init: { method?: string; url?: string; body?: string } = {},
) {
  const response = await fetch(init.url ?? userinfoUrl, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** RFC 7009 revocation of `token` by the client. */
const revoke = (token: string, hint: 'access_token' | 'refresh_token') =>
  postForm(
    service.url,
    '/oauth/revoke',
    { token, token_type_hint: hint },
    { authorization: basic(client.clientId, client.clientSecret ?? '') },
  );

describe('GET and POST /oauth/userinfo', () => {
  it('answers sub alone for scope openid, with no-store', async () => {
    const { accessToken } = await tokensFor({ scope: 'openid api' });
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: userId });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('adds email and email_verified (false: Writ verifies no address) for scope email', async () => {
    const { accessToken } = await tokensFor({ scope: 'openid email' });
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: userId, email, email_verified: false });
  });

  it('answers POST (a form body is ignored) as GET', async () => {
    const { accessToken } = await tokensFor({ scope: 'openid email' });
    const answer = await userinfo(
      { ...bearer(accessToken), 'content-type': 'application/x-www-form-urlencoded' },
      { method: 'POST', body: 'foo=bar' },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: userId, email, email_verified: false });
  });

  it("accepts a token for another of its client's audiences (RFC 8707 resource)", async () => {
    const { accessToken } = await tokensFor({ scope: 'openid', resource: otherAudience });
    const [, payload = ''] = accessToken.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).aud).toBe(otherAudience);
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: userId });
  });

  it('refuses a token without scope openid with 403 insufficient_scope', async () => {
    const { accessToken } = await tokensFor({ scope: 'api' });
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'insufficient_scope' });
    expect(answer.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="openid"/,
    );
  });

  it('refuses an ID token presented as an access token', async () => {
    const { idToken } = await tokensFor({ scope: 'openid' });
    const answer = await userinfo(bearer(idToken));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_token' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refuses a request without a token (401, a bare challenge) and a token in the URL (400)', async () => {
    const none = await userinfo({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer(,|$)/);
    const { accessToken } = await tokensFor({ scope: 'openid' });
    const inUrl = await userinfo({}, { url: `${userinfoUrl}?access_token=${accessToken}` });
    expect(inUrl.status).toBe(400);
    expect(inUrl.body).toEqual({ error: 'invalid_request' });
  });

  it('refuses the tokens of a session revoked by RFC 7009, byte for byte like a forged one', async () => {
    const { accessToken, refreshToken } = await tokensFor({ scope: 'openid email' });
    expect((await userinfo(bearer(accessToken))).status).toBe(200);
    const revoked = await revoke(refreshToken, 'refresh_token');
    expect(revoked.status).toBe(200);
    const refused = await userinfo(bearer(accessToken));
    const [header = '', payload = '', signature = ''] = accessToken.split('.');
    const forged = await userinfo(
      bearer(
        `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('A') ? 'BA' : 'AA'}`,
      ),
    );
    expect(refused.status).toBe(401);
    expect(refused.text).toBe(forged.text);
    expect(refused.headers.get('www-authenticate')).toBe(forged.headers.get('www-authenticate'));
  });

  it('refuses an access token revoked by its jti (RFC 7009) while its session lives', async () => {
    const { accessToken } = await tokensFor({ scope: 'openid' });
    const revoked = await revoke(accessToken, 'access_token');
    expect(revoked.status).toBe(200);
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_token' });
  });
});

/** A proof for the userinfo endpoint, presented with `accessToken`. */
function proof(key: ProofKey, accessToken: string, htm = 'GET', htu = userinfoUrl) {
  return dpopProof(key, { htm, htu, accessToken });
}

describe('a disabled client', () => {
  it("gets no answer for its users' tokens once disabled", async () => {
    const doomed = await registerClient(service, adminKey, { scope: 'openid email' });
    const { accessToken } = await codeFlowTokens(
      service,
      doomed,
      { email, password },
      { query: { scope: 'openid' } },
    );
    expect((await userinfo(bearer(accessToken))).status).toBe(200);
    const disabled = await fetch(`${service.url}/admin/clients/${doomed.clientId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(disabled.status).toBeLessThan(300);
    const answer = await userinfo(bearer(accessToken));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_token' });
  });
});

describe('DPoP-bound access tokens at /oauth/userinfo', () => {
  it('accepts one with Authorization: DPoP and its proof, and refuses it as Bearer, with a replayed proof, or another key', async () => {
    const { client: record } = await addClient(service, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.writ.test/callback'],
      scope: 'openid email',
      audiences: ['https://api.writ.test'],
    });
    const key = await proofKey();
    const opened = await openClientSession(service, record, userId, {
      scope: 'openid email',
      dpopJkt: key.jkt,
    });
    expect(opened.tokenType).toBe('DPoP');
    const accessToken = opened.accessToken;
    const dpopProof = await proof(key, accessToken);
    const accepted = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: dpopProof });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ sub: userId, email, email_verified: false });

    const replayed = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: dpopProof });
    expect(replayed.status).toBe(401);
    const asBearer = await userinfo(bearer(accessToken));
    expect(asBearer.status).toBe(401);
    const thief = await proofKey();
    const stolen = await userinfo({
      authorization: `DPoP ${accessToken}`,
      dpop: await proof(thief, accessToken),
    });
    expect(stolen.status).toBe(401);
    const otherUrl = await userinfo({
      authorization: `DPoP ${accessToken}`,
      dpop: await proof(key, accessToken, 'POST'),
    });
    expect(otherUrl.status).toBe(401);
    for (const refused of [replayed, asBearer, stolen, otherUrl]) {
      expect(refused.headers.get('www-authenticate')).toMatch(/DPoP error="invalid_token", algs="/);
    }
  });
});

describe('userinfo with a client library nobody here wrote', () => {
  it('openid-client 6 discovers the endpoint and reads the claims, checking sub', async () => {
    const config = await oidc.discovery(
      new URL(service.url),
      client.clientId,
      undefined,
      oidc.ClientSecretBasic(client.clientSecret ?? ''),
      { execute: [oidc.allowInsecureRequests] },
    );
    expect(config.serverMetadata().userinfo_endpoint).toBe(userinfoUrl);
    const { accessToken } = await tokensFor({ scope: 'openid email' });
    const claims = await oidc.fetchUserInfo(config, accessToken, userId);
    expect(claims).toEqual({ sub: userId, email, email_verified: false });
    // openid-client refuses an answer about another subject than the one it expects.
    await expect(oidc.fetchUserInfo(config, accessToken, 'usr_someone_else')).rejects.toThrow();
  });
});
