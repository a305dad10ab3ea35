import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, p256, rsa, type SigningKey } from '../../../test/support/keys.ts';
import {
  ConfigurationError,
  createDpopNonces,
  createDpopReplayCache,
  type DpopProofRequest,
  verifyDpopProof,
} from '../src/index.ts';
import { athOf, type DpopKey, dpopKey, signProof, signProofRaw } from './support/dpop-proofs.ts';
import { assemble, b64json, hmacForge } from './support/tokens.ts';

const htu = 'https://api.writ.test/orders';
const nowSec = () => Math.floor(Date.now() / 1000);

let ed: DpopKey;
let es: DpopKey;
let rs: DpopKey;
let rsaSmall: SigningKey;

beforeAll(async () => {
  [ed, es, rs] = await Promise.all([
    ed25519('c-ed').then(dpopKey),
    p256('c-es').then(dpopKey),
    rsa('c-rs').then(dpopKey),
  ]);
  rsaSmall = await rsa('c-rs-small', 1024);
});

function request(overrides: Partial<DpopProofRequest> = {}): DpopProofRequest {
  return {
    method: 'GET',
    url: htu,
    nowSec: nowSec(),
    replay: createDpopReplayCache({ maxEntries: 100 }),
    ...overrides,
  };
}

describe('verifyDpopProof accepts a proper proof', () => {
  it('returns the RFC 7638 thumbprint of the proof key, as jose computes it', async () => {
    for (const client of [ed, es]) {
      const proof = await signProof(client, { htm: 'GET', htu });
      expect(verifyDpopProof(proof, request())).toEqual({ ok: true, jkt: client.jkt });
    }
  });

  it('accepts RSA when the caller allows it', async () => {
    const proof = await signProof(rs, { htm: 'POST', htu });
    const result = verifyDpopProof(proof, request({ method: 'POST', algorithms: ['RS256'] }));
    expect(result).toEqual({ ok: true, jkt: rs.jkt });
  });

  it('compares htu without query or fragment, after RFC 3986 normalisation', async () => {
    const equivalent = [
      'HTTPS://API.writ.test:443/orders',
      'https://api.writ.test/orders?page=2#top',
      'https://api.writ.test/./x/../orders',
      'https://api.writ.test/%6Frders',
    ];
    for (const presented of equivalent) {
      const proof = await signProof(es, { htm: 'GET', htu: presented });
      expect(verifyDpopProof(proof, request({ url: `${htu}?q=1` })).ok).toBe(true);
    }
  });

  it('checks ath against the access token presented', async () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln';
    const proof = await signProof(ed, { htm: 'GET', htu, ath: athOf(token) });
    expect(verifyDpopProof(proof, request({ accessToken: token })).ok).toBe(true);
  });
});

describe('verifyDpopProof refuses', () => {
  const refusal = async (
    make: () => Promise<string>,
    overrides: Partial<DpopProofRequest> = {},
  ): Promise<string> => {
    const result = verifyDpopProof(await make(), request(overrides));
    expect(result.ok).toBe(false);
    return result.ok ? 'accepted' : `${result.error}:${result.reason}`;
  };

  const cases: Array<[string, () => Promise<string>, Partial<DpopProofRequest>, string]> = [
    [
      'a proof for another method',
      () => signProof(ed, { htm: 'POST', htu }),
      {},
      'dpop_htm_mismatch',
    ],
    ['htm in another case', () => signProof(ed, { htm: 'get', htu }), {}, 'dpop_htm_mismatch'],
    [
      'a proof for another URL',
      () => signProof(ed, { htm: 'GET', htu: 'https://api.writ.test/admin' }),
      {},
      'dpop_htu_mismatch',
    ],
    [
      'a proof for another host',
      () => signProof(ed, { htm: 'GET', htu: 'https://evil.test/orders' }),
      {},
      'dpop_htu_mismatch',
    ],
    [
      'a proof for another scheme',
      () => signProof(ed, { htm: 'GET', htu: 'http://api.writ.test/orders' }),
      {},
      'dpop_htu_mismatch',
    ],
    [
      'a proof for another port',
      () => signProof(ed, { htm: 'GET', htu: 'https://api.writ.test:8443/orders' }),
      {},
      'dpop_htu_mismatch',
    ],
    [
      'an htu that is not a URL',
      () => signProof(ed, { htm: 'GET', htu: '/orders' }),
      {},
      'dpop_htu_mismatch',
    ],
    [
      'iat too far in the past',
      () => signProof(ed, { htm: 'GET', htu, iat: nowSec() - 61 }),
      {},
      'dpop_iat_out_of_window',
    ],
    [
      'iat too far in the future',
      () => signProof(ed, { htm: 'GET', htu, iat: nowSec() + 61 }),
      {},
      'dpop_iat_out_of_window',
    ],
    [
      'iat outside a smaller configured window',
      () => signProof(ed, { htm: 'GET', htu, iat: nowSec() - 11 }),
      { iatWindowSec: 10 },
      'dpop_iat_out_of_window',
    ],
    [
      'an ath for another token',
      () => signProof(ed, { htm: 'GET', htu, ath: athOf('another') }),
      { accessToken: 'the-token' },
      'dpop_ath_mismatch',
    ],
    [
      'no ath with a token',
      () => signProof(ed, { htm: 'GET', htu }),
      { accessToken: 'the-token' },
      'dpop_ath_mismatch',
    ],
    [
      'a key other than the one expected',
      () => signProof(ed, { htm: 'GET', htu }),
      { expectedJkt: 'x'.repeat(43) },
      'dpop_jkt_mismatch',
    ],
    [
      'typ at+jwt',
      () => signProof(ed, { htm: 'GET', htu }, { typ: 'at+jwt' }),
      {},
      'dpop_typ_mismatch',
    ],
    [
      'no typ',
      () => signProof(ed, { htm: 'GET', htu }, { typ: undefined }),
      {},
      'dpop_typ_mismatch',
    ],
    ['no jwk', () => signProof(ed, { htm: 'GET', htu }, { jwk: undefined }), {}, 'dpop_bad_key'],
    [
      'a jwk carrying the private key',
      async () => {
        const privateJwk = ed.key.nodePrivateKey.export({ format: 'jwk' });
        return signProof(ed, { htm: 'GET', htu }, { jwk: privateJwk });
      },
      {},
      'dpop_bad_key',
    ],
    [
      'a jwk of another key than the signer',
      () => signProof(ed, { htm: 'GET', htu }, { jwk: { ...ed.jwk, x: es.jwk.x } }),
      {},
      'dpop_bad_signature',
    ],
    [
      'a jwk of the wrong type for alg',
      () => signProof(ed, { htm: 'GET', htu }, { jwk: es.jwk }),
      {},
      'dpop_bad_key',
    ],
    [
      'RSA below 2048 bits',
      async () => {
        const { kid: _kid, ...jwk } = rsaSmall.publicJwk;
        return signProofRaw(
          rsaSmall,
          { alg: 'RS256', typ: 'dpop+jwt', jwk },
          { htm: 'GET', htu, iat: nowSec(), jti: 'small' },
        );
      },
      { algorithms: ['RS256'] },
      'dpop_bad_key',
    ],
    ['RS256 unless allowed', () => signProof(rs, { htm: 'GET', htu }), {}, 'dpop_alg_not_allowed'],
    [
      'alg none',
      async () =>
        assemble(
          { alg: 'none', typ: 'dpop+jwt', jwk: ed.jwk },
          { htm: 'GET', htu, iat: nowSec(), jti: 'a' },
        ),
      {},
      'dpop_proof_malformed',
    ],
    [
      'alg none with a signature',
      async () =>
        assemble(
          { alg: 'none', typ: 'dpop+jwt', jwk: ed.jwk },
          { htm: 'GET', htu, iat: nowSec(), jti: 'a' },
          'AAAA',
        ),
      {},
      'dpop_alg_not_allowed',
    ],
    [
      'HS256 with the public key as secret',
      async () =>
        hmacForge(
          {
            alg: 'HS256',
            typ: 'dpop+jwt',
            jwk: { kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' },
          },
          { htm: 'GET', htu, iat: nowSec(), jti: 'a' },
          'secretsecretsecretsecretsecret!!',
        ),
      {},
      'dpop_alg_not_allowed',
    ],
    [
      'crit',
      async () =>
        signProofRaw(
          ed.key,
          { alg: 'EdDSA', typ: 'dpop+jwt', jwk: ed.jwk, crit: ['exp'], exp: 1 },
          { htm: 'GET', htu, iat: nowSec(), jti: 'crit' },
        ),
      {},
      'dpop_crit_unsupported',
    ],
    [
      'an altered payload',
      async () => {
        const [h, , s] = (await signProof(ed, { htm: 'GET', htu })).split('.');
        return `${h}.${b64json({ htm: 'GET', htu, iat: nowSec(), jti: 'forged' })}.${s}`;
      },
      {},
      'dpop_bad_signature',
    ],
    ['no jti', () => signProof(ed, { htm: 'GET', htu, jti: undefined }), {}, 'dpop_bad_claims'],
    [
      'a jti that is too long',
      () => signProof(ed, { htm: 'GET', htu, jti: 'j'.repeat(129) }),
      {},
      'dpop_bad_claims',
    ],
    [
      'iat as a string',
      () => signProof(ed, { htm: 'GET', htu, iat: String(nowSec()) }),
      {},
      'dpop_bad_claims',
    ],
    [
      'an oversized proof',
      () => signProof(ed, { htm: 'GET', htu, padding: 'p'.repeat(5000) }),
      {},
      'dpop_proof_too_large',
    ],
    ['not a JWS', async () => 'not.a.proof!', {}, 'dpop_proof_malformed'],
    ['a JWE-shaped value', async () => 'a.b.c.d.e', {}, 'dpop_proof_malformed'],
  ];

  it.each(cases)('%s', async (_name, make, overrides, reason) => {
    const expected = `invalid_dpop_proof:${reason}`;
    expect(await refusal(make, overrides)).toBe(expected);
  });

  it('an empty or missing proof', () => {
    for (const proof of [undefined, '', 42]) {
      expect(verifyDpopProof(proof, request())).toEqual({
        ok: false,
        error: 'invalid_dpop_proof',
        reason: 'dpop_proof_missing',
      });
    }
  });

  it('a replayed proof, while the first use is accepted', async () => {
    const replay = createDpopReplayCache({ maxEntries: 100 });
    const proof = await signProof(es, { htm: 'GET', htu });
    expect(verifyDpopProof(proof, request({ replay })).ok).toBe(true);
    expect(verifyDpopProof(proof, request({ replay }))).toMatchObject({
      ok: false,
      reason: 'dpop_replayed',
    });
  });

  it('a new proof when the replay cache is full of live entries, and takes it once they expire', async () => {
    const replay = createDpopReplayCache({ maxEntries: 2 });
    const now = nowSec();
    for (let i = 0; i < 2; i++) {
      const proof = await signProof(ed, { htm: 'GET', htu, iat: now });
      expect(verifyDpopProof(proof, request({ replay, nowSec: now })).ok).toBe(true);
    }
    const third = await signProof(ed, { htm: 'GET', htu, iat: now });
    expect(verifyDpopProof(third, request({ replay, nowSec: now }))).toMatchObject({
      reason: 'dpop_replay_cache_full',
    });
    // 2 × the 60 s window later every entry is dead: the expired go, the new proof is taken.
    const later = now + 121;
    const fourth = await signProof(ed, { htm: 'GET', htu, iat: later });
    expect(verifyDpopProof(fourth, request({ replay, nowSec: later })).ok).toBe(true);
    expect(replay.size).toBe(1);
  });

  it('judges the algorithm on every call, even for a header it has already checked', async () => {
    const first = await signProof(rs, { htm: 'GET', htu });
    const second = await signProof(rs, { htm: 'GET', htu });
    expect(first.split('.')[0]).toBe(second.split('.')[0]);
    expect(verifyDpopProof(first, request({ algorithms: ['RS256'] })).ok).toBe(true);
    expect(verifyDpopProof(second, request())).toMatchObject({ reason: 'dpop_alg_not_allowed' });
  });

  it('refuses to run without a replay cache, or with a weak algorithm list', () => {
    const bad: Array<Partial<DpopProofRequest>> = [
      { replay: undefined as unknown as DpopProofRequest['replay'] },
      { algorithms: ['HS256' as 'ES256'] },
      { algorithms: ['none' as 'ES256'] },
      { algorithms: [] },
      { iatWindowSec: 0 },
      { iatWindowSec: 301 },
      { nowSec: Number.NaN },
    ];
    for (const overrides of bad) {
      expect(() => verifyDpopProof('x', request(overrides))).toThrow(ConfigurationError);
    }
  });
});

describe('server nonces', () => {
  it('asks for a nonce, gives one, accepts the proof that carries it', async () => {
    const nonces = createDpopNonces({ secret: randomBytes(32) });
    const replay = createDpopReplayCache();
    const first = verifyDpopProof(
      await signProof(ed, { htm: 'GET', htu }),
      request({ nonce: nonces, replay }),
    );
    expect(first).toMatchObject({
      ok: false,
      error: 'use_dpop_nonce',
      reason: 'dpop_nonce_required',
    });
    const nonce = first.ok ? '' : (first.nonce ?? '');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const second = verifyDpopProof(
      await signProof(ed, { htm: 'GET', htu, nonce }),
      request({ nonce: nonces, replay }),
    );
    expect(second).toEqual({ ok: true, jkt: ed.jkt });
  });

  it('refuses a nonce from another secret, an expired one and a forged one', async () => {
    const now = nowSec();
    const ours = createDpopNonces({ secret: randomBytes(32), lifetimeSec: 60 });
    const theirs = createDpopNonces({ secret: randomBytes(32) });
    const issued = ours.issue(now);
    const [time] = issued.split('.');
    for (const [nonce, at] of [
      [theirs.issue(now), now],
      [issued, now + 75],
      [`${time}.${'A'.repeat(22)}`, now],
      [`${(Number.parseInt(time ?? '0', 36) + 10).toString(36)}.${issued.split('.')[1]}`, now + 20],
    ] as const) {
      expect(ours.accepts(nonce, at)).toBe(false);
    }
    expect(ours.accepts(issued, now + 30)).toBe(true);
  });
});
