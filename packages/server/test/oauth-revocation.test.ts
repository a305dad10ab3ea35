import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { revokeClientSessions } from '../src/sessions/revoke-client-sessions.ts';
import {
  addClient,
  addRefreshingClient,
  addServiceClient,
  basicAuthOf,
  clientCredentialsToken,
  openClientSession,
  postForm,
  type RegisteredClient,
} from './support/oauth.ts';

let service: TestService;
let resource: RegisteredClient;
let consumerKey: string;
let userId: string;

beforeAll(async () => {
  service = await startTestService();
  resource = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
  consumerKey = await service.addKey('consumer');
  userId = await service.addUser('revoke@example.com', 'correct horse battery staple');
});
afterAll(() => service.destroy());

const auth = basicAuthOf;

const revoke = (caller: RegisteredClient, form: Record<string, string> | string) =>
  postForm(service.url, '/oauth/revoke', form, auth(caller));

async function isActive(token: string): Promise<boolean> {
  const answer = await postForm(service.url, '/oauth/introspect', { token }, auth(resource));
  expect(answer.status).toBe(200);
  return answer.body.active === true;
}

const accessTokenFor = (registered: RegisteredClient) =>
  clientCredentialsToken(service, registered);

function jtiOf(jwt: string): string {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
    jti: string;
  };
  return payload.jti;
}

async function logEntries(): Promise<{ target: { type: string; value: string } }[]> {
  const response = await call(service.url, 'GET', '/revocations', { token: consumerKey });
  expect(response.status).toBe(200);
  return response.body.entries as { target: { type: string; value: string } }[];
}

describe('POST /oauth/revoke', () => {
  it('revokes an access token by a jti entry in the log, answered 200 with no body', async () => {
    const owner = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
    const token = await accessTokenFor(owner);
    expect(await isActive(token)).toBe(true);
    const response = await revoke(owner, { token, token_type_hint: 'access_token' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await isActive(token)).toBe(false);
    const entries = await logEntries();
    expect(
      entries.some((entry) => entry.target.type === 'jti' && entry.target.value === jtiOf(token)),
    ).toBe(true);
  });

  it('revokes an opaque (phantom) access token', async () => {
    const owner = await addServiceClient(service, {
      access_token_format: 'opaque',
      audiences: ['https://api.writ.test'],
    });
    const token = await accessTokenFor(owner);
    expect(token).toMatch(/^wat_/);
    expect(await isActive(token)).toBe(true);
    expect((await revoke(owner, { token })).status).toBe(200);
    expect(await isActive(token)).toBe(false);
  });

  it("leaves another client's access token alone, with the same 200", async () => {
    const owner = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
    const other = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
    const token = await accessTokenFor(owner);
    const response = await revoke(other, { token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    expect(await isActive(token)).toBe(true);
  });

  it('revokes a refresh token by ending its session: the family and its access tokens die', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    expect(await isActive(opened.accessToken)).toBe(true);
    const response = await revoke(app, {
      token: opened.refreshToken ?? '',
      token_type_hint: 'refresh_token',
    });
    expect(response.status).toBe(200);
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).not.toBeNull();
    expect(await isActive(opened.accessToken)).toBe(false);
    const refreshed = await postForm(
      service.url,
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: opened.refreshToken ?? '' },
      auth(app),
    );
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it("leaves another client's refresh token alone", async () => {
    const app = await addRefreshingClient(service);
    const other = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    expect((await revoke(other, { token: opened.refreshToken ?? '' })).status).toBe(200);
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).toBeNull();
  });

  it('lets a public client revoke its own refresh token by its client_id', async () => {
    const spa = await addClient(service, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.writ.test/cb'],
      scope: 'api',
    });
    const opened = await openClientSession(service, spa.client, userId, { scope: 'api' });
    const response = await postForm(service.url, '/oauth/revoke', {
      token: opened.refreshToken ?? '',
      client_id: spa.client.clientId,
    });
    expect(response.status).toBe(200);
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).not.toBeNull();
  });

  it('answers 200 for an unknown token, and RFC 6749 errors for a bad request', async () => {
    expect((await revoke(resource, { token: 'no-such-token' })).status).toBe(200);
    expect((await revoke(resource, { token: 'wat_AAAA' })).status).toBe(200);
    const missing = await revoke(resource, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const twice = await revoke(resource, 'token=a&token=b');
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('invalid_request');
    const anonymous = await postForm(service.url, '/oauth/revoke', { token: 'x' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
  });
});

describe('revokeClientSessions (for the clients module, when it disables a client)', () => {
  it("ends every session of the client and its client_credentials tokens, nobody else's", async () => {
    const doomed = await addRefreshingClient(service);
    const bystander = await addRefreshingClient(service);
    const otherUser = await service.addUser(
      `other-${Date.now()}@example.com`,
      'correct horse battery staple',
    );
    const sessions = [
      await openClientSession(service, doomed.client, userId),
      await openClientSession(service, doomed.client, otherUser),
    ];
    const spared = await openClientSession(service, bystander.client, userId);
    const machine = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
    const machineToken = await accessTokenFor(machine);
    const { revokedIds, entries } = await service.context.db.transaction((tx) =>
      revokeClientSessions(tx, {
        clientId: doomed.client.clientId,
        origin: { ip: '127.0.0.1', userAgent: 'admin' },
        nowMs: service.clock.nowMs(),
      }),
    );
    service.context.notifier.publish(entries);
    expect([...revokedIds].sort()).toEqual(sessions.map((opened) => opened.session.id).sort());
    for (const opened of sessions) {
      expect(await isActive(opened.accessToken)).toBe(false);
      const refreshed = await postForm(
        service.url,
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: opened.refreshToken ?? '' },
        auth(doomed),
      );
      expect(refreshed.body.error).toBe('invalid_grant');
    }
    expect(await isActive(spared.accessToken)).toBe(true);
    expect(await isActive(machineToken)).toBe(true);
    await service.context.db.transaction((tx) =>
      revokeClientSessions(tx, {
        clientId: machine.client.clientId,
        origin: { ip: '127.0.0.1', userAgent: 'admin' },
        nowMs: service.clock.nowMs(),
      }),
    );
    // The client's own tokens (sub = its id) fall to the sub entry, at every mirror too.
    expect(await isActive(machineToken)).toBe(false);
    const entriesNow = await logEntries();
    expect(
      entriesNow.some(
        (entry) => entry.target.type === 'sub' && entry.target.value === machine.client.clientId,
      ),
    ).toBe(true);
  });
});
