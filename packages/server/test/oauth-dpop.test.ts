import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { dpopProof, type ProofKey, proofKey } from './support/dpop-proof.ts';
import {
  addClient,
  addServiceClient,
  basicAuthOf,
  openClientSession,
  postForm,
  type RegisteredClient,
} from './support/oauth.ts';

let service: TestService;
let tokenUrl: string;
let serviceClient: RegisteredClient;
let userId: string;

/** A proof for the token endpoint, unless told otherwise. */
function proof(
  key: ProofKey,
  options: { nonce?: string; htm?: string; htu?: string; iat?: number } = {},
): Promise<string> {
  return dpopProof(key, {
    htm: options.htm ?? 'POST',
    htu: options.htu ?? tokenUrl,
    nonce: options.nonce,
    iatSec: options.iat,
  });
}

beforeAll(async () => {
  service = await startTestService();
  tokenUrl = `${service.url}/oauth/token`;
  serviceClient = await addServiceClient(service);
  userId = await service.addUser('dpop@example.com', 'correct horse battery staple');
});
afterAll(() => service.destroy());

const auth = basicAuthOf;

const token = (form: Record<string, string>, headers: Record<string, string>) =>
  postForm(service.url, '/oauth/token', form, headers);

/** Asks once without a nonce to learn one, as RFC 9449 §8 has a client do. */
async function currentNonce(key: ProofKey, registered: RegisteredClient): Promise<string> {
  const first = await token(
    { grant_type: 'client_credentials' },
    { ...auth(registered), dpop: await proof(key) },
  );
  expect(first.status).toBe(400);
  expect(first.body.error).toBe('use_dpop_nonce');
  const nonce = first.headers.get('dpop-nonce');
  expect(nonce).toBeTruthy();
  return nonce ?? '';
}

describe('DPoP at the token endpoint', () => {
  it('requires a server nonce: use_dpop_nonce with a DPoP-Nonce header first', async () => {
    const key = await proofKey();
    const nonce = await currentNonce(key, serviceClient);
    expect(nonce.length).toBeGreaterThan(10);
  });

  it('binds the access token to the proof key: token_type DPoP and cnf.jkt', async () => {
    const key = await proofKey();
    const nonce = await currentNonce(key, serviceClient);
    const response = await token(
      { grant_type: 'client_credentials' },
      { ...auth(serviceClient), dpop: await proof(key, { nonce }) },
    );
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    expect(response.headers.get('dpop-nonce')).toBeTruthy();
    const claims = decodeJwt(String(response.body.access_token));
    expect(claims.cnf).toEqual({ jkt: key.jkt });
    // Introspection reports the binding.
    const introspected = await postForm(
      service.url,
      '/oauth/introspect',
      { token: String(response.body.access_token) },
      auth(serviceClient),
    );
    expect(introspected.body).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    });
  });

  it('refuses a replayed proof, a proof for another URL or method, and two DPoP headers', async () => {
    const key = await proofKey();
    const nonce = await currentNonce(key, serviceClient);
    const once = await proof(key, { nonce });
    expect(
      (await token({ grant_type: 'client_credentials' }, { ...auth(serviceClient), dpop: once }))
        .status,
    ).toBe(200);
    const replayed = await token(
      { grant_type: 'client_credentials' },
      { ...auth(serviceClient), dpop: once },
    );
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toBe('invalid_dpop_proof');
    for (const wrong of [
      await proof(key, { nonce, htu: `${service.url}/oauth/introspect` }),
      await proof(key, { nonce, htm: 'GET' }),
      await proof(key, { nonce, iat: Math.floor(Date.now() / 1000) - 3600 }),
    ]) {
      const response = await token(
        { grant_type: 'client_credentials' },
        { ...auth(serviceClient), dpop: wrong },
      );
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_dpop_proof');
    }
    // fetch joins repeated headers with ", ": the service must not pick one of them.
    const headers = new Headers(auth(serviceClient));
    headers.set('content-type', 'application/x-www-form-urlencoded');
    headers.append('dpop', await proof(key, { nonce }));
    headers.append('dpop', await proof(key, { nonce }));
    const twice = await fetch(tokenUrl, {
      method: 'POST',
      headers,
      body: 'grant_type=client_credentials',
    });
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('refuses a request without a proof from a client registered to require DPoP', async () => {
    const strict = await addServiceClient(service, { dpop_bound_access_tokens: true });
    const bare = await token({ grant_type: 'client_credentials' }, auth(strict));
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    const key = await proofKey();
    const nonce = await currentNonce(key, strict);
    const bound = await token(
      { grant_type: 'client_credentials' },
      { ...auth(strict), dpop: await proof(key, { nonce }) },
    );
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
  });
});

describe("a public client's refresh tokens", () => {
  async function publicClient(): Promise<RegisteredClient> {
    return addClient(service, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.writ.test/cb'],
      scope: 'api',
    });
  }

  it('rotate only with a proof of the key they were bound to, and a refusal spends nothing', async () => {
    const spa = await publicClient();
    const key = await proofKey();
    const opened = await openClientSession(service, spa.client, userId, {
      scope: 'api',
      dpopJkt: key.jkt,
    });
    expect(opened.tokenType).toBe('DPoP');
    const form = {
      grant_type: 'refresh_token',
      refresh_token: opened.refreshToken ?? '',
      client_id: spa.client.clientId,
    };
    const bare = await token(form, {});
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    const thief = await proofKey();
    const thiefNonce = await currentNonce(thief, serviceClient);
    const stolen = await token(form, { dpop: await proof(thief, { nonce: thiefNonce }) });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_dpop_proof');
    // Neither refusal spent the token, nor ended the session: the key holder still refreshes.
    const nonce = await currentNonce(key, serviceClient);
    const rightful = await token(form, { dpop: await proof(key, { nonce }) });
    expect(rightful.status).toBe(200);
    expect(rightful.body.token_type).toBe('DPoP');
    expect(decodeJwt(String(rightful.body.access_token)).cnf).toEqual({ jkt: key.jkt });
  });

  it('of a confidential client are not bound: its authentication binds them', async () => {
    const app = await addClient(service, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.writ.test/cb'],
      scope: 'api',
    });
    const key = await proofKey();
    const opened = await openClientSession(service, app.client, userId, {
      scope: 'api',
      dpopJkt: key.jkt,
    });
    const refreshed = await token(
      { grant_type: 'refresh_token', refresh_token: opened.refreshToken ?? '' },
      auth(app),
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.token_type).toBe('Bearer');
  });
});
