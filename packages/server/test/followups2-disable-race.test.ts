import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { disableClient } from '../src/clients/disable-client.ts';
import {
  authorizeUrl,
  CookieJar,
  codeRequest,
  exchangeCode,
  pkcePair,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { addServiceClient, basic, postForm } from './support/oauth.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let adminKey: string;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  await service.addUser(email, password);
});
afterAll(() => service.destroy());

/**
 * Disables `clientId` (through the real disable flow, which commits and revokes what the client
 * holds) at the moment the token endpoint's grant queues its first unit of work: after the
 * client authenticated, before the grant's transaction runs. Units queued by anything else
 * (the activity recorder, the back-channel worker) do not trigger it: only a call from a grant.
 * `fired()` says whether it ran.
 */
function disableWhenTheGrantQueues(clientId: string): { fired(): boolean; restore(): void } {
  const db = service.context.db;
  const original = db.transaction;
  let fired = false;
  const hooked: typeof db.transaction = async <T>(
    work: Parameters<typeof original<T>>[0],
  ): Promise<T> => {
    const stack = new Error().stack ?? '';
    if (!fired && /(client-credentials-grant|authorization-code-grant)\.ts/.test(stack)) {
      fired = true;
      expect(await disableClient(service.context, clientId)).toBe(true);
    }
    return original.call<typeof db, [typeof work], Promise<T>>(db, work);
  };
  Object.defineProperty(db, 'transaction', { value: hooked, configurable: true, writable: true });
  return {
    fired: () => fired,
    restore: () =>
      Object.defineProperty(db, 'transaction', {
        value: original,
        configurable: true,
        writable: true,
      }),
  };
}

describe('a client disabled between its authentication and the grant', () => {
  it('authorization_code: refused as invalid_client, and no session survives the disable', async () => {
    const client = await registerClient(service, adminKey);
    const { verifier, challenge } = pkcePair();
    const redirect = await signInThroughPage(
      service,
      new CookieJar(),
      authorizeUrl(service, codeRequest(client, challenge, { scope: 'openid api' })),
      { email, password },
    );

    const hook = disableWhenTheGrantQueues(client.clientId);
    let token: Awaited<ReturnType<typeof exchangeCode>>;
    try {
      token = await exchangeCode(service, client, {
        code: redirect.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: client.redirectUri,
      });
    } finally {
      hook.restore();
    }
    expect(hook.fired()).toBe(true);
    expect(token.status).toBe(401);
    expect(token.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    // Before the check, the redemption opened a session after revokeClientSessions had run:
    // a live session (and refresh token) of a disabled client.
    expect(await service.context.db.sessions.listUnrevokedOfClient(client.clientId, 10)).toEqual(
      [],
    );
  });

  it('client_credentials: refused as invalid_client instead of minting a token past the sub entry', async () => {
    const { client, secret } = await addServiceClient(service);
    const request = () =>
      postForm(
        service.url,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'read' },
        { authorization: basic(client.clientId, secret ?? '') },
      );
    expect((await request()).status).toBe(200);

    const hook = disableWhenTheGrantQueues(client.clientId);
    let token: Awaited<ReturnType<typeof request>>;
    try {
      // Before the check the grant minted without a transaction: a token issued after the
      // disable's `sub` entry (by another instance, or from a 5 s cached client a second later)
      // is one that entry does not end.
      token = await request();
    } finally {
      hook.restore();
    }
    expect(hook.fired()).toBe(true);
    expect(token.status).toBe(401);
    expect(token.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    expect(token.body.access_token).toBeUndefined();
  });
});
