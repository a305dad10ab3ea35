import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { authenticateClient } from '../src/clients/authenticate-client.ts';
import { ClientCache } from '../src/clients/client-cache.ts';
import { findClient } from '../src/clients/find-client.ts';
import type { StoredClient } from '../src/clients/stored-client.ts';
import { basic, postForm } from './support/oauth.ts';

/**
 * authenticateClient and findClient read clients through an in-memory cache. These tests show
 * the cache is in play (a write that bypasses the clients flows, as another instance's would,
 * is not seen at once) and that every flow that changes a client makes this instance refuse
 * the old state from the next request on.
 */
let service: TestService;
let adminKey: string;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
});
afterAll(() => service.destroy());

async function register(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const answer = await call(service.url, 'POST', '/admin/clients', { token: adminKey, body });
  if (answer.status !== 201) throw new Error(`registration failed: ${JSON.stringify(answer.body)}`);
  return { id: String(answer.body.client_id), secret: String(answer.body.client_secret) };
}

const machine = (method = 'client_secret_basic') => ({
  client_name: `machine-${randomBytes(3).toString('hex')}`,
  token_endpoint_auth_method: method,
  grant_types: ['client_credentials'],
  scope: 'reports:read',
});

const tokenWithSecret = (id: string, secret: string) =>
  postForm(
    service.url,
    '/oauth/token',
    { grant_type: 'client_credentials' },
    { authorization: basic(id, secret) },
  );

/** authenticateClient itself, as every endpoint that authenticates clients calls it. */
const authenticate = (id: string, secret: string) =>
  authenticateClient(
    service.context,
    { headers: { authorization: basic(id, secret) }, params: new Map() },
    service.clock.nowMs(),
  );

describe('the client cache, through the token endpoint', () => {
  it('is in play: a disable written past the clients flows is not seen at once', async () => {
    const client = await register(machine());
    expect((await authenticate(client.id, client.secret)).ok).toBe(true);
    expect(await findClient(service.context, client.id)).toBeDefined();
    // Straight to the store, as another instance's admin API would: this instance's cache
    // still holds the live record (until its TTL), which is what the flows below must forget.
    // (The token endpoint too: a disable through the flow also writes the `sub` entry that ends
    // what is issued from such an entry, disable-client.ts.)
    expect(await service.context.db.clients.disable(client.id, service.clock.nowMs())).toBe(true);
    expect((await authenticate(client.id, client.secret)).ok).toBe(true);
    expect(await findClient(service.context, client.id)).toBeDefined();
    expect((await tokenWithSecret(client.id, client.secret)).status).toBe(200);
  });

  it('refuses a disabled client on the very next request', async () => {
    const client = await register(machine());
    expect((await tokenWithSecret(client.id, client.secret)).status).toBe(200);
    expect((await findClient(service.context, client.id))?.clientId).toBe(client.id);
    const disabled = await call(service.url, 'DELETE', `/admin/clients/${client.id}`, {
      token: adminKey,
    });
    expect(disabled.status).toBe(204);
    const refused = await tokenWithSecret(client.id, client.secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect(await authenticate(client.id, client.secret)).toMatchObject({
      ok: false,
      reason: 'client_disabled',
    });
    expect(await findClient(service.context, client.id)).toBeUndefined();
  });

  it('refuses the old secret on the very next request after a rotation, and takes the new one', async () => {
    const client = await register(machine());
    expect((await tokenWithSecret(client.id, client.secret)).status).toBe(200);
    const rotated = await call(service.url, 'POST', `/admin/clients/${client.id}/secret`, {
      token: adminKey,
      body: {},
    });
    expect(rotated.status).toBe(200);
    expect((await tokenWithSecret(client.id, client.secret)).status).toBe(401);
    expect((await tokenWithSecret(client.id, String(rotated.body.client_secret))).status).toBe(200);
  });

  it('refuses a key removed from a private_key_jwt client on the very next request', async () => {
    const oldPair = await generateKeyPair('ES256', { extractable: true });
    const newPair = await generateKeyPair('ES256', { extractable: true });
    const jwkOf = async (pair: typeof oldPair, kid: string) => ({
      ...(await exportJWK(pair.publicKey)),
      kid,
      alg: 'ES256',
    });
    const client = await register({
      ...machine('private_key_jwt'),
      jwks: { keys: [await jwkOf(oldPair, 'old')] },
    });
    const assertWith = async (pair: typeof oldPair, kid: string) => {
      const nowSec = Math.floor(service.clock.nowMs() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience(`${service.url}/oauth/token`)
        .setIssuedAt(nowSec)
        .setExpirationTime(nowSec + 60)
        .setJti(randomBytes(12).toString('base64url'))
        .sign(pair.privateKey);
      return postForm(service.url, '/oauth/token', {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
    };
    expect((await assertWith(oldPair, 'old')).status).toBe(200);
    const replaced = await call(service.url, 'PUT', `/admin/clients/${client.id}/jwks`, {
      token: adminKey,
      body: { jwks: { keys: [await jwkOf(newPair, 'new')] } },
    });
    expect(replaced.status).toBe(204);
    expect((await assertWith(oldPair, 'old')).status).toBe(401);
    expect((await assertWith(newPair, 'new')).status).toBe(200);
  });

  it('answers an unknown client exactly like a wrong secret, cached or not', async () => {
    const client = await register(machine());
    const unknown = `wc_${randomBytes(16).toString('base64url')}`;
    for (let i = 0; i < 3; i++) {
      const wrong = await tokenWithSecret(client.id, 'not the secret');
      const missing = await tokenWithSecret(unknown, 'not the secret');
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual(wrong.body);
      expect(missing.headers.get('www-authenticate')).toBe(wrong.headers.get('www-authenticate'));
    }
  });
});

describe('ClientCache', () => {
  const storedClient = (clientId: string): StoredClient =>
    ({ record: { clientId }, secretHash: 'h' }) as unknown as StoredClient;

  function counted(cache: ClientCache, owner: object) {
    const loads: string[] = [];
    return {
      loads,
      read: (clientId: string, found = true) =>
        cache.read(owner, clientId, async () => {
          loads.push(clientId);
          return found ? storedClient(clientId) : undefined;
        }),
    };
  }

  it('holds positive and negative answers until the TTL, then reads again', async () => {
    let now = 0;
    const cache = new ClientCache({ ttlMs: 5000, now: () => now });
    const { loads, read } = counted(cache, {});
    expect((await read('a'))?.record.clientId).toBe('a');
    expect(await read('zz', false)).toBeUndefined();
    now = 4999;
    await read('a');
    await read('zz', false);
    expect(loads).toEqual(['a', 'zz']);
    now = 5000;
    await read('a');
    await read('zz', false);
    expect(loads).toEqual(['a', 'zz', 'a', 'zz']);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new ClientCache({ maxEntries: 3, now: () => 0 });
    const { loads, read } = counted(cache, {});
    for (const id of ['a', 'b', 'c']) await read(id);
    await read('a'); // a is now the most recent: b is the oldest
    await read('d', false);
    expect(cache.size).toBe(3);
    loads.length = 0;
    for (const id of ['a', 'c', 'd']) await read(id);
    expect(loads).toEqual([]);
    await read('b');
    expect(loads).toEqual(['b']);
  });

  it('never stores what a read that started before an invalidation found', async () => {
    const cache = new ClientCache({ now: () => 0 });
    const owner = {};
    let release: () => void = () => {};
    const slow = cache.read(owner, 'a', async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return storedClient('old');
    });
    cache.forget('a'); // the write happens while the read is still under way
    release();
    expect((await slow)?.record.clientId).toBe('old');
    expect(cache.size).toBe(0);
    const { loads, read } = counted(cache, owner);
    expect((await read('a'))?.record.clientId).toBe('a');
    expect(loads).toEqual(['a']);
  });

  it('keeps one database apart from another', async () => {
    const cache = new ClientCache({ now: () => 0 });
    const first = counted(cache, {});
    const second = counted(cache, {});
    await first.read('a');
    expect(await second.read('a', false)).toBeUndefined();
    expect(second.loads).toEqual(['a']);
  });
});
