import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { createNodeAuthenticator } from '../../verify/src/http/node.ts';
import {
  createDpopNonces,
  createDpopReplayCache,
  createVerifier,
  verifyDpopProof,
} from '../../verify/src/index.ts';
import { loadDpopKeyPair } from '../src/dpop/key-storage.ts';
import { createDpopProver, createWritClient, WritClientError } from '../src/index.ts';
import { type RecordingFetch, recordingFetch } from './support/recording-fetch.ts';

/**
 * @writ/client with DPoP against a token service that binds tokens to the proof's key (nonces
 * required, as Writ's /oauth/token does) and a resource server protected by @writ/verify's
 * node:http adapter with DPoP and nonces of its own.
 */
let signer: SigningKey;
let service: LoopbackListener;
let api: LoopbackListener;
const audience = 'https://api.writ.test';
/** What the token service saw: the thumbprint each grant was bound to, and refusals. */
const bound: string[] = [];
const serviceRefusals: string[] = [];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => resolve(body));
  });
}

function json(response: ServerResponse, status: number, body: unknown, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

beforeAll(async () => {
  signer = await ed25519('as-1');
  const nonces = createDpopNonces();
  const replay = createDpopReplayCache();
  const jktByRefreshToken = new Map<string, string>();
  let issued = 0;
  service = await listenOnLoopback(async (request, response) => {
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, string>;
    const path = request.url ?? '';
    const refreshing = path === '/auth/refresh';
    const proof = verifyDpopProof(request.headers.dpop, {
      method: request.method ?? '',
      url: `${service.origin}${path}`,
      nonce: nonces,
      nowSec: Math.floor(Date.now() / 1000),
      replay,
      ...(refreshing
        ? { expectedJkt: jktByRefreshToken.get(body.refresh_token ?? '') ?? 'none' }
        : {}),
    });
    if (!proof.ok) {
      serviceRefusals.push(proof.reason);
      json(
        response,
        400,
        { error: proof.error },
        proof.nonce === undefined ? {} : { 'dpop-nonce': proof.nonce },
      );
      return;
    }
    issued += 1;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      scope: 'read',
      client_id: 'app',
      cnf: { jkt: proof.jkt },
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid })
      .setIssuer(service.origin)
      .setSubject('usr_dpop')
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(`jti-${issued}`)
      .sign(signer.privateKey);
    const refreshToken = `rt-${issued}`;
    jktByRefreshToken.set(refreshToken, proof.jkt);
    bound.push(proof.jkt);
    json(response, 200, {
      access_token: accessToken,
      token_type: 'DPoP',
      refresh_token: refreshToken,
      expires_in: 600,
    });
  });
  const verifier = createVerifier({
    issuer: service.origin,
    audience,
    jwks: { keys: [signer.publicJwk] },
    dpop: { nonce: true },
  });
  const authenticate = createNodeAuthenticator(verifier);
  api = await listenOnLoopback(async (request, response) => {
    const auth = await authenticate(request, response);
    if (auth === undefined) return;
    json(response, 200, { sub: auth.claims.sub });
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await service?.close();
  await api?.close();
});

function dpopClient(recorder: RecordingFetch) {
  return createWritClient({
    issuer: service.origin,
    mode: 'body',
    fetch: recorder.fetch,
    allowedOrigins: [api.origin],
    dpop: true,
  });
}

describe('@writ/client with DPoP', () => {
  it('signs in with a proof, gets a DPoP-bound token and calls the API with a proof per request', async () => {
    const recorder = recordingFetch();
    const client = dpopClient(recorder);
    await client.signIn('cleo@example.com', 'password');
    // The service asked for its nonce once; the client signed again and was answered.
    expect(recorder.count('/auth/sign-in', 'POST')).toBe(2);
    expect(recorder.received.slice(0, 2).map((r) => r.status)).toEqual([400, 200]);
    for (let i = 0; i < 3; i++) {
      const response = await client.fetch(`${api.origin}/me`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'usr_dpop' });
    }
    const apiRequests = recorder.sent.filter((r) => r.url.origin === api.origin);
    // The first call learned the API's nonce (one 401 use_dpop_nonce), the rest carried it.
    expect(apiRequests).toHaveLength(4);
    const proofs = apiRequests.map((r) => r.headers.get('dpop'));
    expect(new Set(proofs).size).toBe(4);
    for (const request of apiRequests) {
      expect(request.headers.get('authorization')).toMatch(/^DPoP eyJ/);
    }
  });

  it('signs every proof with one non-extractable key, whose thumbprint the tokens are bound to', async () => {
    const recorder = recordingFetch();
    const client = dpopClient(recorder);
    await client.signIn('cleo@example.com', 'password');
    const prover = await createDpopProver({
      name: `writ-client ${service.origin}`,
      storage: 'memory',
    });
    expect(bound.at(-1)).toBe(prover.thumbprint);
    const pair = await loadDpopKeyPair(`writ-client ${service.origin}`, 'memory');
    expect(pair.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', pair.privateKey)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('pkcs8', pair.privateKey)).rejects.toThrow();
  });

  it('refreshes with a proof by the same key, and the refreshed token works', async () => {
    const recorder = recordingFetch();
    const client = dpopClient(recorder);
    await client.signIn('cleo@example.com', 'password');
    expect((await client.fetch(`${api.origin}/me`)).status).toBe(200);
    const boundAtSignIn = bound.at(-1);
    // Past the refresh point (and past both servers' nonce lifetime): the next call refreshes first.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 580_000);
    const response = await client.fetch(`${api.origin}/me`);
    expect(response.status).toBe(200);
    const refreshes = recorder.sent.filter((r) => r.url.pathname === '/auth/refresh');
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    for (const refresh of refreshes) expect(refresh.headers.get('dpop')).toMatch(/^eyJ/);
    // The service checked the refresh proof's key against the session's (expectedJkt).
    expect(recorder.received.at(-1)?.status).toBe(200);
    expect(bound.at(-1)).toBe(boundAtSignIn);
    const last = recorder.sent.at(-1);
    expect(last?.url.origin).toBe(api.origin);
    expect(last?.headers.get('authorization')).not.toBe(
      recorder.sent.find((r) => r.url.origin === api.origin)?.headers.get('authorization'),
    );
  });

  it('refuses a stolen DPoP-bound token replayed with the thief’s own key', async () => {
    const recorder = recordingFetch();
    const client = dpopClient(recorder);
    await client.signIn('cleo@example.com', 'password');
    expect((await client.fetch(`${api.origin}/me`)).status).toBe(200);
    const token = (recorder.sent.at(-1)?.headers.get('authorization') ?? '').replace(/^DPoP /, '');
    const thief = await createDpopProver({ name: 'thief', storage: 'memory' });
    const url = `${api.origin}/me`;
    let response = await fetch(url, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await thief.proof({ method: 'GET', url, accessToken: token }),
      },
    });
    if (await thief.takeNonce(url, response)) {
      response = await fetch(url, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await thief.proof({ method: 'GET', url, accessToken: token }),
        },
      });
    }
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // Without any proof, or as a bearer token, it is refused too.
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('hands back a one-shot body’s use_dpop_nonce 401 without refreshing, and uses the nonce next', async () => {
    const recorder = recordingFetch();
    const client = dpopClient(recorder);
    await client.signIn('cleo@example.com', 'password');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{}'));
        controller.close();
      },
    });
    const refused = await client.fetch(`${api.origin}/me`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('use_dpop_nonce');
    expect(recorder.count('/auth/refresh')).toBe(0);
    const sentBefore = recorder.sent.length;
    expect((await client.fetch(`${api.origin}/me`)).status).toBe(200);
    expect(recorder.sent.length - sentBefore).toBe(1);
  });

  it('refuses DPoP in cookie mode at construction', () => {
    expect(() => createWritClient({ issuer: service.origin, mode: 'cookie', dpop: true })).toThrow(
      WritClientError,
    );
  });
});
