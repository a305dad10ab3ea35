import { KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { type TestClock, testClock } from '../../../test/support/test-clock.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RunningService, startService } from '../src/app/start-service.ts';
import { listKeys } from '../src/keys/list-keys.ts';
import { rotateKeys } from '../src/keys/rotate-keys.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { addServiceClient, basic, postForm } from './support/oauth.ts';

/**
 * Algorithm agility: several algorithms published at once, the token's audience choosing which
 * signs, and a change of the set rolled out through the key states with nobody signed out.
 */
const legacy = 'https://other.writ.test';
const api = 'https://api.writ.test';
let first: TestService;
let current: RunningService;
let clock: TestClock;
let offsetMs = 0;
const email = 'agile@example.com';
const password = 'correct horse battery staple';
const times = rotationTimes(30 * 86_400);

beforeAll(async () => {
  first = await startTestService({
    WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256',
    WRIT_AUDIENCE_ALGORITHMS: `${legacy}=ES256`,
  });
  current = first;
  clock = first.clock;
  await first.addUser(email, password);
});
afterAll(async () => {
  await current.close();
  rmSync(first.dataDir, { recursive: true, force: true });
});

async function restart(env: Record<string, string>): Promise<void> {
  await current.close();
  clock = testClock();
  clock.advance(offsetMs);
  current = await startService(
    loadConfig({ env: { ...first.env, ...env }, cwd: first.dataDir, warn: () => {} }),
    { logger: false, clock },
  );
}
const advance = (ms: number): void => {
  offsetMs += ms;
  clock.advance(ms);
};

const signFor = (aud: string | string[]) =>
  current.context.signer.sign({
    typ: 'at+jwt',
    claims: { iss: current.context.config.issuer, aud, sub: 'wc_x', iat: 1, exp: 4_102_444_800 },
  });
const algOf = (token: string) => decodeProtectedHeader(token).alg;
const liveJwks = () => createRemoteJWKSet(new URL(`${current.url}/.well-known/jwks.json`));

async function clientCredentials(resource: string): Promise<string> {
  const { client, secret } = await addServiceClient(first);
  const answer = await postForm(
    current.url,
    '/oauth/token',
    { grant_type: 'client_credentials', scope: 'read', resource },
    { authorization: basic(client.clientId, secret ?? '') },
  );
  expect(answer.status).toBe(200);
  return String(answer.body.access_token);
}

describe('several signing algorithms', () => {
  it('starts a new service with one active key per algorithm, and signs each audience with its own', async () => {
    const keys = await listKeys(current.context);
    expect(keys).toHaveLength(2);
    expect(keys.map((key) => [key.alg, key.state])).toEqual(
      expect.arrayContaining([
        ['EdDSA', 'active'],
        ['ES256', 'active'],
      ]),
    );
    const jwks = liveJwks();
    for (const [aud, alg] of [
      [legacy, 'ES256'],
      [[legacy, api], 'ES256'],
      [api, 'EdDSA'],
      // The first audience decides.
      [[api, legacy], 'EdDSA'],
      ['https://unnamed.example', 'EdDSA'],
    ] as const) {
      const token = await signFor(aud as string | string[]);
      expect(algOf(token)).toBe(alg);
      // jose accepts each against the live JWKS, with only its own algorithm allowed.
      const verified = await jwtVerify(token, jwks, { algorithms: [alg], typ: 'at+jwt' });
      expect(verified.protectedHeader.alg).toBe(alg);
    }
    // Over HTTP: a client's token for the legacy audience is ES256, first-party sign-in EdDSA.
    const legacyToken = await clientCredentials(legacy);
    expect(algOf(legacyToken)).toBe('ES256');
    await jwtVerify(legacyToken, jwks, { algorithms: ['ES256'], audience: legacy });
    const signedIn = await signInBody(current.url, email, password);
    expect(algOf(signedIn.access_token)).toBe('EdDSA');
    await jwtVerify(signedIn.access_token, jwks, { algorithms: ['EdDSA'], audience: api });
    // Discovery advertises both.
    const metadata = await call(current.url, 'GET', '/.well-known/openid-configuration');
    expect(metadata.body.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['EdDSA', 'ES256']),
    );
  });

  it('adds an algorithm through the states: published first, signing only after the lead time', async () => {
    const before = await signInBody(current.url, email, password);
    await restart({
      WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256,PS256',
      WRIT_AUDIENCE_ALGORITHMS: `${legacy}=PS256`,
    });
    await runScheduledRotation(current.context);
    const rsa = (await listKeys(current.context)).find((key) => key.alg === 'PS256');
    expect(rsa?.state).toBe('next');
    // Until its key may sign, the lead algorithm signs the audience that asked for it.
    expect(algOf(await signFor(legacy))).toBe('EdDSA');
    advance(times.leadTimeMs);
    await runScheduledRotation(current.context);
    expect((await listKeys(current.context)).find((key) => key.alg === 'PS256')?.state).toBe(
      'active',
    );
    const token = await signFor(legacy);
    expect(algOf(token)).toBe('PS256');
    await jwtVerify(token, liveJwks(), { algorithms: ['PS256'] });
    // RSA keys are 2048 bits.
    const jwk = current.context.signer.publicKeys().find((key) => key.alg === 'PS256');
    const publicKey = KeyObject.from((await importJWK(jwk ?? {}, 'PS256')) as CryptoKey);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The session from before the change refreshes without a new sign-in.
    const refreshed = await call(current.url, 'POST', '/auth/refresh', {
      body: { refresh_token: before.refresh_token },
    });
    expect(refreshed.status).toBe(200);
  });

  it('switches the lead algorithm with nobody signed out; the dropped one retires', async () => {
    const session = await signInBody(current.url, email, password);
    expect(algOf(session.access_token)).toBe('EdDSA');
    const eddsaKid = (await listKeys(current.context)).find(
      (key) => key.alg === 'EdDSA' && key.state === 'active',
    )?.kid;
    // A PS256 rotation was waiting when PS256 left the set: that key never signed.
    const { nextKid: waitingKid } = await rotateKeys(current.context, { algorithm: 'PS256' });
    const psKid = (await listKeys(current.context)).find(
      (key) => key.alg === 'PS256' && key.state === 'active',
    )?.kid;
    await restart({ WRIT_SIGNING_ALGORITHMS: 'ES256', WRIT_AUDIENCE_ALGORITHMS: '' });
    await runScheduledRotation(current.context);
    const keys = await listKeys(current.context);
    expect(keys.find((key) => key.kid === eddsaKid)?.state).toBe('retiring');
    expect(keys.find((key) => key.kid === psKid)?.state).toBe('retiring');
    expect(keys.find((key) => key.kid === waitingKid)?.state).toBe('retired');
    // Still published: the EdDSA token from before verifies until it expires (checked at the
    // service's time, which this test has moved ahead of the real one).
    await jwtVerify(session.access_token, liveJwks(), {
      algorithms: ['EdDSA'],
      currentDate: new Date(clock.nowMs()),
    });
    const refreshed = await call(current.url, 'POST', '/auth/refresh', {
      body: { refresh_token: session.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(algOf(String(refreshed.body.access_token))).toBe('ES256');
    advance(times.retireAfterMs);
    await runScheduledRotation(current.context);
    const published = current.context.signer.publicKeys().map((key) => key.alg);
    expect(published).toEqual(['ES256']);
  });
});

describe('ML-DSA (experimental)', () => {
  it('signs with ML-DSA-44 as the lead algorithm: its own routes and jose accept the tokens, the JWKS holds no private member', async () => {
    const pq = await startTestService({ WRIT_SIGNING_ALGORITHMS: 'ML-DSA-44' });
    try {
      await pq.addUser(email, password);
      const tokens = await signInBody(pq.url, email, password);
      expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ML-DSA-44');
      // About 2.4 KB of signature in every token.
      expect(tokens.access_token.length).toBeGreaterThan(3000);
      expect(
        (await call(pq.url, 'GET', '/auth/sessions', { token: tokens.access_token })).status,
      ).toBe(200);
      const jwks = await call(pq.url, 'GET', '/.well-known/jwks.json');
      const [jwk] = jwks.body.keys as Array<Record<string, unknown>>;
      expect(jwk).toMatchObject({ kty: 'AKP', alg: 'ML-DSA-44', use: 'sig' });
      expect(jwk).not.toHaveProperty('priv');
      const verified = await jwtVerify(
        tokens.access_token,
        createRemoteJWKSet(new URL(`${pq.url}/.well-known/jwks.json`)),
        { algorithms: ['ML-DSA-44'], audience: api },
      );
      expect(verified.protectedHeader.kid).toBe(jwk?.kid);
    } finally {
      await pq.destroy();
    }
  });
});
