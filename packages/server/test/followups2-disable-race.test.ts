import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { defaultClientCacheTtlMs, forgetCachedClient } from '../src/clients/client-cache.ts';
import { disableClient } from '../src/clients/disable-client.ts';
import { createRevocationView } from '../src/oauth/revocation-view.ts';
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
afterEach(() => service.clock.reset());
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
    if (!fired && /authorization-code-grant\.ts/.test(stack)) {
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

/**
 * Disables `clientId` (through the real flow) right after the next read of its row for
 * authentication returned, before that authentication completes: the request goes on with
 * the row as it was read, live.
 */
function disableAfterTheNextRead(clientId: string): { fired(): boolean; restore(): void } {
  const clients = service.context.db.clients;
  const original = clients.findForAuthentication;
  let fired = false;
  const hooked: typeof original = async (id) => {
    const stored = await original.call(clients, id);
    if (!fired && id === clientId) {
      fired = true;
      expect(await disableClient(service.context, clientId)).toBe(true);
    }
    return stored;
  };
  Object.defineProperty(clients, 'findForAuthentication', {
    value: hooked,
    configurable: true,
    writable: true,
  });
  return {
    fired: () => fired,
    restore: () =>
      Object.defineProperty(clients, 'findForAuthentication', {
        value: original,
        configurable: true,
        writable: true,
      }),
  };
}

const clientCredentials = (clientId: string, secret: string) =>
  postForm(
    service.url,
    '/oauth/token',
    { grant_type: 'client_credentials', scope: 'read' },
    { authorization: basic(clientId, secret) },
  );

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

  it('client_credentials: a disable on this instance after the client authenticated is refused as invalid_client', async () => {
    const { client, secret } = await addServiceClient(service);
    const request = () => clientCredentials(client.clientId, secret ?? '');
    expect((await request()).status).toBe(200);
    forgetCachedClient(client.clientId);

    // The authentication reads the live row; the disable commits before it completes, so the
    // grant's check (through the cache, which the disable emptied) is the only thing that sees it.
    const hook = disableAfterTheNextRead(client.clientId);
    let token: Awaited<ReturnType<typeof request>>;
    try {
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
  });

  it('client_credentials: a token minted from another instance’s cached entry after the disable is revoked', async () => {
    const { client, secret } = await addServiceClient(service);
    const other = await addServiceClient(service);
    const stale = await service.context.db.clients.findForAuthentication(client.clientId);
    expect(stale?.record.disabledAt).toBeNull();
    const disabledSec = Math.floor(service.clock.nowMs() / 1000);
    expect(await disableClient(service.context, client.clientId)).toBe(true);

    // Another instance read the client just before the disable committed: its cache answers
    // "live" for up to one TTL, and the grant writes nothing that could tell it otherwise.
    // Played here by a read that keeps answering that row, almost one TTL after the disable.
    const clients = service.context.db.clients;
    const original = clients.findForAuthentication;
    Object.defineProperty(clients, 'findForAuthentication', {
      value: async () => stale,
      configurable: true,
      writable: true,
    });
    forgetCachedClient(client.clientId);
    service.clock.advance(defaultClientCacheTtlMs - 100);
    let minted: Awaited<ReturnType<typeof clientCredentials>>;
    try {
      minted = await clientCredentials(client.clientId, secret ?? '');
    } finally {
      Object.defineProperty(clients, 'findForAuthentication', {
        value: original,
        configurable: true,
        writable: true,
      });
      forgetCachedClient(client.clientId);
    }
    expect(minted.status).toBe(200);
    const token = String(minted.body.access_token);
    // Issued seconds after the disable's own second, past the entry that ends what was issued
    // until then: only the covering `sub` entry ends it.
    expect(
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).iat,
    ).toBeGreaterThanOrEqual(disabledSec + 2);

    // Judged as every consumer's revocation mirror judges it (introspection would refuse it for
    // its disabled client anyway; a resource server checking the signature and the log would not).
    const view = createRevocationView(service.context);
    const claims = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    const header = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString());
    expect(await view.isRevoked(claims(token), header(token))).toBe(true);
    // The check is the revocation, not a view that refuses everything: a live client's token
    // minted at the same moment is not revoked.
    const live = String(
      (await clientCredentials(other.client.clientId, other.secret ?? '')).body.access_token,
    );
    expect(await view.isRevoked(claims(live), header(live))).toBe(false);
  });
});
