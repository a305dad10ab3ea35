import { generateKeyPairSync } from 'node:crypto';
import type { JwsAlgorithm, RejectReason } from '@writ/core';
import { importJWK, type JWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type JwksServer, startJwksServer } from '../../../test/support/jwks-server.ts';
import { ed25519, p256, type SigningKey } from '../../../test/support/keys.ts';
import { createVerifier, InvalidTokenError, type Verifier } from '../src/index.ts';
import { audience, issuer, sign, validClaims } from './support/tokens.ts';

/**
 * A consumer of a rotating key set, against a real JWKS server on loopback: what `@writ/verify`
 * promises the key lifecycle (issue 14, docs/keys.md). A key published since the consumer's last
 * download verifies on first sight of its `kid` (one such download per cooldown); a key withdrawn
 * from the set stops verifying — cached tokens included — exactly `max-age` after the last
 * download that still had it, as soon as the issuer answers.
 *
 * The clock is fake (`Date` and `setTimeout`, so the key set's staleness timer runs on it);
 * network I/O is real. Sleeps in this file use the real `setTimeout`, taken before faking.
 */

const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

const cooldownSec = 30;

let server: JwksServer;
let keyA: SigningKey;
let keyB: SigningKey;
let keyC: SigningKey;
let keyEs: SigningKey;
let keyMl: SigningKey;

async function mlDsa44(kid: string): Promise<SigningKey> {
  const pair = generateKeyPairSync('ml-dsa-44');
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  return {
    kid,
    alg: 'ML-DSA-44',
    privateKey: (await importJWK(privateJwk, 'ML-DSA-44')) as CryptoKey,
    publicJwk: { ...publicJwk, kid, use: 'sig' },
    nodePrivateKey: pair.privateKey,
  };
}

const jwksOf = (...keys: SigningKey[]): { keys: JWK[] } => ({ keys: keys.map((k) => k.publicJwk) });

beforeAll(async () => {
  [keyA, keyB, keyC, keyEs, keyMl] = await Promise.all([
    ed25519('key-a'),
    ed25519('key-b'),
    ed25519('key-c'),
    p256('key-es'),
    mlDsa44('key-ml'),
  ]);
});

let t0 = 0;
beforeEach(async () => {
  server = await startJwksServer({ body: jwksOf(keyA), cacheControl: 'max-age=60' });
  t0 = Date.now();
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: t0 });
});

afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

/** Moves the fake clock to `sec` after the start, running the timers due on the way. */
function at(sec: number): void {
  vi.advanceTimersByTime(t0 + Math.round(sec * 1000) - Date.now());
}

interface Consumer {
  readonly verifier: Verifier;
  readonly reasons: RejectReason[];
  readonly keySetErrors: unknown[];
}

function consumer(algorithms: readonly JwsAlgorithm[] = ['EdDSA']): Consumer {
  const reasons: RejectReason[] = [];
  const keySetErrors: unknown[] = [];
  const verifier = createVerifier({
    issuer,
    audience,
    jwksUri: server.url,
    algorithms,
    jwksFetch: { cooldownSec },
    onReject: ({ reason }) => reasons.push(reason),
    onKeySetError: (error) => keySetErrors.push(error),
  });
  return { verifier, reasons, keySetErrors };
}

/** A valid access token signed by `key` now (fake clock), living 10 minutes. */
const mint = (key: SigningKey): Promise<string> => sign(key, validClaims());

async function verdict(c: Consumer, token: string): Promise<'verified' | RejectReason> {
  const before = c.reasons.length;
  try {
    await c.verifier.verify(token);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    const reason = c.reasons.slice(before);
    expect(reason).toHaveLength(1);
    return reason[0] as RejectReason;
  }
}

/** Long enough for a download to a loopback server to have been asked for, had one started. */
const quietPeriodMs = 50;

describe('a key rotated into the key set', () => {
  it('verifies on first sight of its kid; the next new kid within the cooldown waits for the cooldown, to the millisecond', async () => {
    const c = consumer();
    expect(await verdict(c, await mint(keyA))).toBe('verified');
    expect(server.hits).toBe(1);

    // Published after the consumer's download: its first token causes one download.
    server.set({ body: jwksOf(keyA, keyB) });
    at(1);
    expect(await verdict(c, await mint(keyB))).toBe('verified');
    expect(server.hits).toBe(2);

    // Another key within the cooldown of that download: refused without touching the network…
    server.set({ body: jwksOf(keyA, keyB, keyC) });
    const tokenC = await mint(keyC);
    at(1 + cooldownSec - 0.001);
    expect(await verdict(c, tokenC)).toBe('unknown_kid');
    await sleep(quietPeriodMs);
    expect(server.hits).toBe(2);
    // …and picked up by the first token once the cooldown has passed.
    at(1 + cooldownSec);
    expect(await verdict(c, tokenC)).toBe('verified');
    expect(server.hits).toBe(3);
    expect(c.keySetErrors).toEqual([]);
  });

  it('published a max-age ahead of signing (as the service does with a next key), is picked up by the regular refresh: an EdDSA → ES256 → ML-DSA-44 switch costs no unknown-kid download', async () => {
    const c = consumer(['EdDSA', 'ES256', 'ML-DSA-44']);
    expect(await verdict(c, await mint(keyA))).toBe('verified');
    server.set({ body: jwksOf(keyA, keyEs) });
    at(60);
    // The keys are stale: this lookup waits for the refresh, which brings the next key along.
    expect(await verdict(c, await mint(keyA))).toBe('verified');
    expect(server.hits).toBe(2);
    expect(await verdict(c, await mint(keyEs))).toBe('verified');
    expect(server.hits).toBe(2);

    server.set({ body: jwksOf(keyEs, keyMl) });
    at(120);
    expect(await verdict(c, await mint(keyEs))).toBe('verified');
    expect(await verdict(c, await mint(keyMl))).toBe('verified');
    expect(server.hits).toBe(3);
    // The retired key's kid is now an unknown one: one look (the first kid refetch), then none.
    expect(await verdict(c, await mint(keyA))).toBe('unknown_kid');
    expect(await verdict(c, await mint(keyA))).toBe('unknown_kid');
    expect(server.hits).toBe(4);
    expect(c.keySetErrors).toEqual([]);
  });
});

describe('a key withdrawn from the key set', () => {
  it('verifies nothing from max-age after the download that had it: not a token verified (and cached) before, not a fresh one', async () => {
    server.set({ body: jwksOf(keyA, keyB) });
    const c = consumer();
    const cachedA = await mint(keyA);
    expect(await verdict(c, cachedA)).toBe('verified');
    expect(await verdict(c, cachedA)).toBe('verified');
    expect(await verdict(c, await mint(keyB))).toBe('verified');
    expect(server.hits).toBe(1);

    // Withdrawn (an emergency rotation withdraws the key at once).
    at(5);
    server.set({ body: jwksOf(keyB) });
    // While the keys are fresh the consumer does not ask: by design, up to max-age.
    at(60 - 0.001);
    expect(await verdict(c, cachedA)).toBe('verified');
    const freshA = await mint(keyA);
    expect(await verdict(c, freshA)).toBe('verified');
    await sleep(quietPeriodMs);
    expect(server.hits).toBe(1);

    // At max-age: the cached token is judged again, the lookup waits for the refresh, refused.
    at(60);
    expect(await verdict(c, cachedA)).toBe('unknown_kid');
    expect(server.hits).toBe(2);
    // Its kid is unknown from now on: the first miss may look once more (the unknown-kid
    // refetch, in case a key was published just now), later ones wait for the cooldown.
    expect(await verdict(c, freshA)).toBe('unknown_kid');
    expect(server.hits).toBe(3);
    expect(await verdict(c, await mint(keyA))).toBe('unknown_kid');
    expect(await verdict(c, await mint(keyB))).toBe('verified');
    await sleep(quietPeriodMs);
    expect(server.hits).toBe(3);
    expect(c.keySetErrors).toEqual([]);
  });

  it('stays in use only while the issuer cannot be asked, and stops at the first refresh that answers (cached tokens included)', async () => {
    const c = consumer();
    const cachedA = await mint(keyA);
    expect(await verdict(c, cachedA)).toBe('verified');
    at(5);
    server.set({ body: jwksOf(keyB) });
    await server.stop();

    // The issuer is down at max-age: an outage must not refuse every token, so the keys held stay.
    at(60);
    expect(await verdict(c, cachedA)).toBe('verified');
    expect(c.keySetErrors).toHaveLength(1);
    // Within the retry delay (1 s after one failure) nothing waits for the network.
    at(60.5);
    expect(await verdict(c, cachedA)).toBe('verified');
    expect(c.keySetErrors).toHaveLength(1);

    await server.start();
    at(61);
    expect(await verdict(c, cachedA)).toBe('unknown_kid');
    expect(server.hits).toBe(2);
    expect(await verdict(c, await mint(keyB))).toBe('verified');
    expect(c.keySetErrors).toHaveLength(1);
  });

  it('under steady load from cached tokens alone, is refused from max-age on (no other token needs a key lookup)', async () => {
    server.set({ body: jwksOf(keyA, keyB) });
    const c = consumer();
    const tokens = await Promise.all([mint(keyA), mint(keyA), mint(keyB)]);
    for (const token of tokens) expect(await verdict(c, token)).toBe('verified');
    server.set({ body: jwksOf(keyB) });
    const outcomes: Array<{ sec: number; verdicts: string[] }> = [];
    for (const sec of [10, 30, 59.999, 60, 61, 90]) {
      at(sec);
      const verdicts: string[] = [];
      for (const token of tokens) verdicts.push(await verdict(c, token));
      outcomes.push({ sec, verdicts });
    }
    expect(outcomes).toEqual([
      { sec: 10, verdicts: ['verified', 'verified', 'verified'] },
      { sec: 30, verdicts: ['verified', 'verified', 'verified'] },
      { sec: 59.999, verdicts: ['verified', 'verified', 'verified'] },
      { sec: 60, verdicts: ['unknown_kid', 'unknown_kid', 'verified'] },
      { sec: 61, verdicts: ['unknown_kid', 'unknown_kid', 'verified'] },
      { sec: 90, verdicts: ['unknown_kid', 'unknown_kid', 'verified'] },
    ]);
    // The refresh at 60 s, then the unknown-kid refetches the cooldown allows (60 s, 90 s).
    await sleep(quietPeriodMs);
    expect(server.hits).toBe(4);
    expect(c.keySetErrors).toEqual([]);
  });
});
