import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  CookieJar,
  codeFlowTokens,
  type RegisteredClient,
  refreshGrant,
  registerClient,
} from './support/authorize-flow.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let adminKey: string;
let consumerKey: string;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  consumerKey = await service.addKey('consumer');
  await service.addUser(email, password);
});
afterAll(() => service.destroy());

/** The code flow for `client` in `jar` (signing in on the page unless the browser already is). */
async function tokensFor(client: RegisteredClient, jar: CookieJar) {
  const tokens = await codeFlowTokens(
    service,
    client,
    { email, password },
    { jar, query: { scope: 'openid api' } },
  );
  return { ...tokens, sid: String(decodeJwt(tokens.accessToken).sid) };
}

const refresh = (client: RegisteredClient, refreshToken: string) =>
  refreshGrant(service, client, refreshToken);

/** The revocation log's entries for one target value, as every mirror reads them. */
async function logEntriesFor(value: string) {
  const log = await call(service.url, 'GET', '/revocations', { token: consumerKey });
  return (
    log.body.entries as Array<{ target: { type: string; value: string }; cause: string }>
  ).filter((entry) => entry.target.value === value);
}

describe('DELETE /admin/clients/:id', () => {
  it("revokes the client's sessions through the log (its access tokens end at every mirror), nobody else's", async () => {
    const doomed = await registerClient(service, adminKey);
    const bystander = await registerClient(service, adminKey);
    const jar = new CookieJar();
    const held = await tokensFor(doomed, jar);
    const spared = await tokensFor(bystander, jar);
    const firstParty = await signInBody(service.url, email, password);

    const disabled = await call(service.url, 'DELETE', `/admin/clients/${doomed.clientId}`, {
      token: adminKey,
    });
    expect(disabled.status).toBe(204);

    // The access token already issued is revoked where resource servers look: its sid entry.
    expect(await logEntriesFor(held.sid)).toEqual([
      expect.objectContaining({
        target: { type: 'sid', value: held.sid },
        cause: 'client_disabled',
      }),
    ]);
    expect(await logEntriesFor(doomed.clientId)).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({ type: 'sub', value: doomed.clientId }),
        cause: 'client_disabled',
      }),
    ]);
    // And at the service's own protected resource.
    const userinfo = await call(service.url, 'GET', '/oauth/userinfo', { token: held.accessToken });
    expect(userinfo.status).toBe(401);

    // Nothing else ended: the other client's session, the browser's sign-in, the user's own session.
    expect(await logEntriesFor(spared.sid)).toEqual([]);
    expect((await refresh(bystander, spared.refreshToken)).status).toBe(200);
    expect((await tokensFor(bystander, jar)).sid).not.toBe(spared.sid);
    expect(
      (await call(service.url, 'GET', '/auth/sessions', { token: firstParty.access_token })).status,
    ).toBe(200);

    // Disabling again changes nothing and writes nothing.
    const again = await call(service.url, 'DELETE', `/admin/clients/${doomed.clientId}`, {
      token: adminKey,
    });
    expect(again.status).toBe(204);
    expect(await logEntriesFor(doomed.clientId)).toHaveLength(1);
  });
});
