import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519, p256, type SigningKey } from '../../../test/support/keys.ts';
import type { AuthenticateOptions } from '../src/http/authenticate.ts';
import { createVerifier, type VerifierOptions } from '../src/index.ts';
import type { AdapterName, AdapterServer } from './support/adapter-servers.ts';
import { protectedServers } from './support/dpop-adapter-servers.ts';
import { athOf, type DpopKey, dpopKey, signProof } from './support/dpop-proofs.ts';
import { get, type RawResponse, refusalFingerprint, send } from './support/http-client.ts';
import { audience, issuer, sign, validClaims } from './support/tokens.ts';

let signer: SigningKey;
let client: DpopKey;
let thief: DpopKey;
let verifierOptions: VerifierOptions;

beforeAll(async () => {
  signer = await ed25519('as-1');
  [client, thief] = await Promise.all([p256('client').then(dpopKey), ed25519('t').then(dpopKey)]);
  verifierOptions = { issuer, audience, jwks: { keys: [signer.publicJwk] }, dpop: {} };
});

const resourceMetadata: AuthenticateOptions['resourceMetadata'] = {
  resource: 'https://api.writ.test',
  authorizationServers: [issuer],
  scopesSupported: ['read', 'write'],
};
const metadataUrl = 'https://api.writ.test/.well-known/oauth-protected-resource';
const algs = 'algs="EdDSA ES256 Ed25519"';
const challengeWith = (params: string) =>
  `Bearer ${params}resource_metadata="${metadataUrl}", DPoP ${params}${algs}, resource_metadata="${metadataUrl}"`;

const boundToken = () => sign(signer, validClaims({ cnf: { jkt: client.jkt } }));

describe.each(Object.keys(protectedServers) as AdapterName[])(
  'the %s adapter with DPoP',
  (adapter) => {
    let server: AdapterServer;
    let nonceServer: AdapterServer;
    let behindProxy: AdapterServer;
    let requiredServer: AdapterServer;
    const start = protectedServers[adapter];

    beforeAll(async () => {
      [server, nonceServer, behindProxy, requiredServer] = await Promise.all([
        start(createVerifier(verifierOptions), { resourceMetadata }),
        start(createVerifier({ ...verifierOptions, dpop: { nonce: true } }), {}),
        start(createVerifier(verifierOptions), { publicOrigin: 'https://api.writ.test' }),
        start(createVerifier({ ...verifierOptions, dpop: { required: true } }), {}),
      ]);
    });
    afterAll(async () => {
      await Promise.all([server, nonceServer, behindProxy, requiredServer].map((s) => s.close()));
    });

    const dpopHeaders = async (
      token: string,
      htu: string,
      options: { htm?: string; key?: DpopKey; nonce?: string; scheme?: string } = {},
    ) => ({
      authorization: `${options.scheme ?? 'DPoP'} ${token}`,
      dpop: await signProof(options.key ?? client, {
        htm: options.htm ?? 'GET',
        htu,
        ath: athOf(token),
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      }),
    });

    const expectInvalidToken = (response: RawResponse) => {
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(challengeWith('error="invalid_token", '));
      expect(response.body).toBe('{"error":"invalid_token"}');
    };

    it('accepts a bound token with the DPoP scheme (any case) and a proof for this request', async () => {
      const token = await boundToken();
      for (const scheme of ['DPoP', 'dpop', 'DPOP']) {
        const response = await get(
          `${server.baseUrl}/me?page=2`,
          await dpopHeaders(token, `${server.baseUrl}/me`, { scheme }),
        );
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body)).toEqual({ sub: 'usr_4f9a1c2e7b' });
      }
    });

    it('keeps plain bearer tokens working', async () => {
      const token = await sign(signer, validClaims());
      const response = await get(`${server.baseUrl}/me`, { authorization: `Bearer ${token}` });
      expect(response.status).toBe(200);
    });

    it('answers every DPoP refusal with one byte-identical 401 naming both schemes', async () => {
      const token = await boundToken();
      const url = `${server.baseUrl}/me`;
      const replayed = await dpopHeaders(token, url);
      expect((await get(url, replayed)).status).toBe(200);
      const refusals = [
        // A stolen token with the thief's own key, and with no proof at all.
        await get(url, await dpopHeaders(token, url, { key: thief })),
        await get(url, { authorization: `DPoP ${token}` }),
        // Bound token as Bearer, even with a good proof beside it.
        await get(url, await dpopHeaders(token, url, { scheme: 'Bearer' })),
        await get(url, replayed),
        await get(url, await dpopHeaders(token, `${server.baseUrl}/admin`)),
        await send('POST', url, await dpopHeaders(token, url)),
        await get(url, {
          ...(await dpopHeaders(token, url)),
          dpop: [replayed.dpop, replayed.dpop],
        }),
      ];
      for (const response of refusals) expectInvalidToken(response);
      expect(new Set(refusals.map(refusalFingerprint)).size).toBe(1);
    });

    it('challenges a request without a token with both schemes and no error', async () => {
      const response = await get(`${server.baseUrl}/me`);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(challengeWith(''));
    });

    it('asks for a nonce with use_dpop_nonce and DPoP-Nonce, then accepts the retried proof', async () => {
      const token = await boundToken();
      const url = `${nonceServer.baseUrl}/me`;
      const first = await get(url, await dpopHeaders(token, url));
      expect(first.status).toBe(401);
      expect(first.headers['www-authenticate']).toBe(
        `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", ${algs}`,
      );
      const nonce = first.headers['dpop-nonce'];
      expect(typeof nonce).toBe('string');
      expect(JSON.parse(first.body)).toEqual({ error: 'use_dpop_nonce' });
      const second = await get(url, await dpopHeaders(token, url, { nonce: nonce as string }));
      expect(second.status).toBe(200);
      // Every answer carries the current nonce, so the client keeps one without being refused.
      expect(second.headers['dpop-nonce']).toBe(nonce);
    });

    it('builds htu from publicOrigin when configured, and never from forwarded headers', async () => {
      const token = await boundToken();
      const url = `${behindProxy.baseUrl}/me`;
      const good = await get(url, await dpopHeaders(token, 'https://api.writ.test/me'));
      expect(good.status).toBe(200);
      // The Host-derived URL is not this server's public address once publicOrigin is set.
      expect((await get(url, await dpopHeaders(token, url))).status).toBe(401);
      // Without publicOrigin, X-Forwarded-* cannot move the URL a proof must name.
      const forwarded = await get(`${server.baseUrl}/me`, {
        ...(await dpopHeaders(token, 'https://evil.test/me')),
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'https',
        forwarded: 'host=evil.test;proto=https',
      });
      expectInvalidToken(forwarded);
    });

    it('with required DPoP refuses bearer tokens and challenges with DPoP only', async () => {
      const plain = await sign(signer, validClaims());
      const response = await get(`${requiredServer.baseUrl}/me`, {
        authorization: `Bearer ${plain}`,
      });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(`DPoP error="invalid_token", ${algs}`);
      const token = await boundToken();
      const url = `${requiredServer.baseUrl}/me`;
      expect((await get(url, await dpopHeaders(token, url))).status).toBe(200);
    });

    it('serves the RFC 9728 protected-resource metadata without a token', async () => {
      const response = await get(`${server.baseUrl}/.well-known/oauth-protected-resource`);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toEqual({
        resource: 'https://api.writ.test',
        authorization_servers: [issuer],
        bearer_methods_supported: ['header'],
        scopes_supported: ['read', 'write'],
        dpop_signing_alg_values_supported: ['EdDSA', 'ES256', 'Ed25519'],
        dpop_bound_access_tokens_required: false,
      });
    });
  },
);
