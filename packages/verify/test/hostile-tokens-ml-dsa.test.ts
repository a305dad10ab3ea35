import { generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { Policy, type RejectReason } from '@writ/core';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import {
  ConfigurationError,
  createVerifier,
  InvalidTokenError,
  type JsonWebKeySet,
  type VerifierOptions,
} from '../src/index.ts';
import {
  audience,
  b64,
  b64json,
  issuer,
  sign,
  validClaims,
  withSegment,
} from './support/tokens.ts';

/**
 * The hostile table's ML-DSA rows (support/hostile-tokens.ts holds the classical ones, replayed
 * through every adapter): what is new with `AKP` keys and 2–3 KB signatures. Each token must be
 * refused with the one public error and the reason that proves where it failed.
 */

type MlDsa = 'ML-DSA-44' | 'ML-DSA-65';

interface MlDsaKey {
  readonly kid: string;
  readonly alg: MlDsa;
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

function mlDsaKey(kid: string, alg: MlDsa): MlDsaKey {
  const pair = generateKeyPairSync(alg === 'ML-DSA-44' ? 'ml-dsa-44' : 'ml-dsa-65');
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...publicJwk, kid, use: 'sig' } };
}

interface Kit {
  readonly ml44: MlDsaKey;
  readonly ml65: MlDsaKey;
  /** An ML-DSA-65 key published as ML-DSA-44: its `alg` lies about its parameter set. */
  readonly mislabelled: MlDsaKey;
  /** Published without `alg`, which an `AKP` key needs. */
  readonly noAlg: MlDsaKey;
  /** Published with its private half (`priv`). */
  readonly leaked: MlDsaKey;
  readonly attacker44: MlDsaKey;
  readonly ed: SigningKey;
  readonly jwks: JsonWebKeySet;
}

/** Signs `header.payload` with node:crypto as a JWS signer of ML-DSA would (pure, empty context). */
function forge(
  key: { readonly privateKey: KeyObject },
  header: Record<string, unknown>,
  claims: Record<string, unknown> = validClaims(),
  context?: Buffer,
): string {
  const input = `${b64json({ typ: 'at+jwt', ...header })}.${b64json(claims)}`;
  const signature = nodeSign(
    null,
    Buffer.from(input),
    context === undefined ? key.privateKey : { key: key.privateKey, context },
  );
  return `${input}.${b64(signature)}`;
}

const signedBy = (key: MlDsaKey, header: Record<string, unknown> = {}): string =>
  forge(key, { alg: key.alg, kid: key.kid, ...header });

const signatureOf = (token: string): Buffer => Buffer.from(token.split('.')[2] ?? '', 'base64url');

interface MlDsaCase {
  readonly name: string;
  readonly reason: RejectReason;
  readonly make: (kit: Kit) => string | Promise<string>;
}

const cases: readonly MlDsaCase[] = [
  {
    name: 'ML-DSA-44 signature relabelled ML-DSA-65 under the ML-DSA-44 kid',
    reason: 'unknown_kid',
    make: ({ ml44 }) =>
      withSegment(signedBy(ml44), 0, b64json({ alg: 'ML-DSA-65', typ: 'at+jwt', kid: ml44.kid })),
  },
  {
    name: 'ML-DSA-65 token under the ML-DSA-44 kid (a key of one set never checks the other)',
    reason: 'unknown_kid',
    make: ({ ml44, ml65 }) => signedBy(ml65, { kid: ml44.kid }),
  },
  {
    name: 'ML-DSA-44 token under the ML-DSA-65 kid',
    reason: 'unknown_kid',
    make: ({ ml44, ml65 }) => signedBy(ml44, { kid: ml65.kid }),
  },
  {
    name: 'ML-DSA-44 token under a kid whose ML-DSA-65 key claims to be ML-DSA-44',
    reason: 'unknown_kid',
    make: ({ mislabelled }) => forge(mislabelled, { alg: 'ML-DSA-44', kid: mislabelled.kid }),
  },
  {
    name: 'ML-DSA-65 token under the kid of that mislabelled key',
    reason: 'unknown_kid',
    make: ({ mislabelled }) => forge(mislabelled, { alg: 'ML-DSA-65', kid: mislabelled.kid }),
  },
  {
    name: 'kid of an AKP key published without alg',
    reason: 'unknown_kid',
    make: ({ noAlg }) => signedBy(noAlg),
  },
  {
    name: 'kid of an AKP key published with its private half (priv)',
    reason: 'unknown_kid',
    make: ({ leaked }) => signedBy(leaked),
  },
  {
    name: 'signed by an attacker ML-DSA-44 key under the real kid',
    reason: 'bad_signature',
    make: ({ attacker44, ml44 }) => signedBy(attacker44, { kid: ml44.kid }),
  },
  {
    name: 'attacker AKP key embedded as header jwk, unknown kid',
    reason: 'unknown_kid',
    make: ({ attacker44 }) => signedBy(attacker44, { kid: 'attacker', jwk: attacker44.publicJwk }),
  },
  {
    name: 'attacker AKP key embedded as header jwk under the real kid',
    reason: 'bad_signature',
    make: ({ attacker44, ml44 }) =>
      signedBy(attacker44, { kid: ml44.kid, jwk: attacker44.publicJwk }),
  },
  {
    name: 'ML-DSA-65 signature one byte short',
    reason: 'bad_signature',
    make: ({ ml65 }) => {
      const token = signedBy(ml65);
      return withSegment(token, 2, b64(signatureOf(token).subarray(0, 3308)));
    },
  },
  {
    name: 'ML-DSA-65 signature with one byte appended',
    reason: 'bad_signature',
    make: ({ ml65 }) => {
      const token = signedBy(ml65);
      return withSegment(token, 2, b64(Buffer.concat([signatureOf(token), Buffer.of(0)])));
    },
  },
  {
    name: 'ML-DSA-44 all-zero signature of the right length',
    reason: 'bad_signature',
    make: ({ ml44 }) => withSegment(signedBy(ml44), 2, b64(Buffer.alloc(2420))),
  },
  {
    name: 'ML-DSA-44 signature with one bit flipped',
    reason: 'bad_signature',
    make: ({ ml44 }) => {
      const token = signedBy(ml44);
      const signature = signatureOf(token);
      signature[1200] = (signature[1200] ?? 0) ^ 0x10;
      return withSegment(token, 2, b64(signature));
    },
  },
  {
    name: 'ML-DSA-44 signature made with a non-empty context string',
    reason: 'bad_signature',
    make: ({ ml44 }) =>
      forge(ml44, { alg: ml44.alg, kid: ml44.kid }, validClaims(), Buffer.from('writ')),
  },
  {
    name: 'EdDSA signature relabelled ML-DSA-44 under the ML-DSA-44 kid',
    reason: 'bad_signature',
    make: async ({ ed, ml44 }) =>
      withSegment(await sign(ed), 0, b64json({ alg: 'ML-DSA-44', typ: 'at+jwt', kid: ml44.kid })),
  },
  {
    name: 'ML-DSA-44 signature relabelled EdDSA under the EdDSA kid',
    reason: 'bad_signature',
    make: ({ ed, ml44 }) =>
      withSegment(signedBy(ml44), 0, b64json({ alg: 'EdDSA', typ: 'at+jwt', kid: ed.kid })),
  },
  {
    name: 'payload swapped for another without re-signing',
    reason: 'bad_signature',
    make: ({ ml65 }) =>
      withSegment(signedBy(ml65), 1, b64json(validClaims({ sub: 'usr_admin', scope: 'admin' }))),
  },
  {
    name: 'alg ML-DSA-87 (not supported)',
    reason: 'alg_not_allowed',
    make: ({ ml65 }) => signedBy(ml65, { alg: 'ML-DSA-87' }),
  },
  {
    name: 'alg ml-dsa-44 in lower case',
    reason: 'alg_not_allowed',
    make: ({ ml44 }) => signedBy(ml44, { alg: 'ml-dsa-44' }),
  },
  {
    name: 'ML-DSA-65 token padded past the 8 KiB cap',
    reason: 'too_large',
    make: ({ ml65 }) =>
      forge(ml65, { alg: ml65.alg, kid: ml65.kid }, validClaims({ pad: 'x'.repeat(3000) })),
  },
];

let kit: Kit;
const tokens = new Map<string, string>();

const algorithms = ['EdDSA', 'ML-DSA-44', 'ML-DSA-65'] as const;
const options = (overrides: Partial<VerifierOptions> = {}): VerifierOptions => ({
  issuer,
  audience,
  jwks: kit.jwks,
  algorithms,
  ...overrides,
});

beforeAll(async () => {
  const mislabelled = mlDsaKey('ml-mislabelled', 'ML-DSA-65');
  const noAlg = mlDsaKey('ml-no-alg', 'ML-DSA-44');
  const leaked = mlDsaKey('ml-leaked', 'ML-DSA-44');
  const leakedPrivate = leaked.privateKey.export({ format: 'jwk' }) as JWK;
  const ed = await ed25519('ed-1');
  const ml44 = mlDsaKey('ml44-1', 'ML-DSA-44');
  const ml65 = mlDsaKey('ml65-1', 'ML-DSA-65');
  const { alg: _alg, ...withoutAlg } = noAlg.publicJwk;
  kit = {
    ml44,
    ml65,
    mislabelled,
    noAlg,
    leaked,
    attacker44: mlDsaKey('ml44-1', 'ML-DSA-44'),
    ed,
    jwks: {
      keys: [
        ed.publicJwk,
        ml44.publicJwk,
        ml65.publicJwk,
        { ...mislabelled.publicJwk, alg: 'ML-DSA-44' },
        withoutAlg,
        { ...leakedPrivate, kid: leaked.kid, use: 'sig' },
      ],
    },
  };
  for (const hostile of cases) tokens.set(hostile.name, await hostile.make(kit));
});

describe('a verifier allowing ML-DSA', () => {
  it('accepts the untampered ML-DSA-44 and ML-DSA-65 tokens (and EdDSA beside them)', async () => {
    const verifier = createVerifier(options());
    for (const token of [signedBy(kit.ml44), signedBy(kit.ml65), await sign(kit.ed)]) {
      await expect(verifier.verify(token)).resolves.toMatchObject({
        claims: { sub: 'usr_4f9a1c2e7b' },
      });
    }
  });

  it('admits a realistic ML-DSA-65 access token under the default 8 KiB cap, which stays the bound', async () => {
    // A first-party access token's claims as the service writes them, with a long scope list.
    const claims = validClaims({
      scope: Array.from({ length: 20 }, (_, i) => `api:resource-${i}:read`).join(' '),
      sid: 'ses_4f9a1c2e7b4f9a1c2e7b',
      client_id: 'first-party-web',
    });
    const token = forge(kit.ml65, { alg: 'ML-DSA-65', kid: kit.ml65.kid }, claims);
    expect(token.length).toBeGreaterThan(4400);
    expect(token.length).toBeLessThan(Policy.maxTokenBytesDefault);
    await expect(createVerifier(options()).verify(token)).resolves.toBeDefined();
    // The cap can be raised for larger claims, never past the ceiling.
    expect(() =>
      createVerifier(options({ maxTokenBytes: Policy.maxTokenBytesCeiling + 1 })),
    ).toThrow(ConfigurationError);
  });

  it('checks ML-DSA only when asked to: the default algorithms refuse it', async () => {
    const reasons: RejectReason[] = [];
    const verifier = createVerifier({
      issuer,
      audience,
      jwks: kit.jwks,
      onReject: ({ reason }) => reasons.push(reason),
    });
    for (const token of [signedBy(kit.ml44), signedBy(kit.ml65)]) {
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    }
    expect(reasons).toEqual(['alg_not_allowed', 'alg_not_allowed']);
  });
});

describe.each(cases)('an ML-DSA token with $name', (hostile) => {
  it(`is refused with the one public error, reason ${hostile.reason}`, async () => {
    const reasons: RejectReason[] = [];
    const verifier = createVerifier(options({ onReject: ({ reason }) => reasons.push(reason) }));
    const error = await verifier.verify(tokens.get(hostile.name)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ code: 'invalid_token', message: 'invalid token' });
    expect(reasons).toEqual([hostile.reason]);
  });
});
