import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  codeFlowTokens,
  type RegisteredClient,
  refreshGrant,
  registerClient,
} from './support/authorize-flow.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let client: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  const adminKey = await service.addKey('admin');
  await service.addUser(email, password);
  // The service's own audience: what a client registered without audiences gets by default.
  client = await registerClient(service, adminKey, {
    audiences: [service.context.config.audience],
  });
});
afterAll(() => service.destroy());

/** An OAuth access token for the service's own audience, through the code flow. */
async function oauthTokens() {
  return codeFlowTokens(
    service,
    client,
    { email, password },
    { query: { scope: 'openid api offline_access' } },
  );
}

describe('the first-party guard of /auth/*', () => {
  it('refuses an OAuth client access token for the service audience, uniformly, and changes nothing', async () => {
    const firstParty = await signInBody(service.url, email, password);
    const oauth = await oauthTokens();
    // The premise: a valid token of the service's audience, signed by the service, with a live session.
    const claims = decodeJwt(oauth.accessToken);
    expect(claims.aud).toBe(service.context.config.audience);
    expect(claims.client_id).toBe(client.clientId);
    expect(typeof claims.sid).toBe('string');

    // What every refusal of the guard looks like: a signed-out first-party session's token.
    const ended = await signInBody(service.url, email, password);
    expect(
      (await call(service.url, 'POST', '/auth/sign-out', { token: ended.access_token })).status,
    ).toBe(204);
    const uniform = await call(service.url, 'GET', '/auth/sessions', { token: ended.access_token });
    expect(uniform.status).toBe(401);

    const attempts: Array<[string, string]> = [
      ['GET', '/auth/sessions'],
      ['GET', '/auth/activity'],
      ['DELETE', `/auth/sessions/${String(decodeJwt(firstParty.access_token).sid)}`],
      ['POST', '/auth/sessions/sign-out-others'],
      ['POST', '/auth/sign-out-everywhere'],
      ['POST', '/auth/sign-out'],
    ];
    for (const [method, path] of attempts) {
      const answer = await call(service.url, method, path, { token: oauth.accessToken });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
      expect(answer.body).toEqual(uniform.body);
      expect(answer.headers.get('www-authenticate')).toBe(uniform.headers.get('www-authenticate'));
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }

    // Nothing was signed out: the first-party session and the client session both still live.
    const sessions = await call(service.url, 'GET', '/auth/sessions', {
      token: firstParty.access_token,
    });
    expect(sessions.status).toBe(200);
    const refreshed = await refreshGrant(service, client, oauth.refreshToken);
    expect(refreshed.status).toBe(200);
  });

  it('still lets the first-party token through', async () => {
    const firstParty = await signInBody(service.url, email, password);
    expect(
      (await call(service.url, 'GET', '/auth/activity', { token: firstParty.access_token })).status,
    ).toBe(200);
  });
});
