import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { activateKey } from '../src/keys/activate-key.ts';
import { custodyKeyRecord } from '../src/keys/custody-key-record.ts';
import type { SigningAlgorithm } from '../src/keys/key-custody.ts';
import { SigningAlgorithms } from '../src/platform/config/config.ts';
import { open } from '../src/platform/crypto/sealed-box.ts';

/**
 * The key ring builds each JWS and sealed custody signs it with node:crypto; jose is the oracle.
 * Every algorithm the ring signs with gets a key of its own through the path the service uses:
 * made by the ring's custody, stored as `next`, activated (the ring reloads, the custody opens
 * it with jose's importJWK and builds its KeyObject), then `sign`.
 */
let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

async function storeNextKey(alg: SigningAlgorithm): Promise<{ kid: string; privateJwk: JWK }> {
  const { custody } = service.context.keyRing;
  const key = await custody.create(alg);
  const nowMs = service.clock.nowMs();
  await service.context.db.signingKeys.insert(
    custodyKeyRecord(key, custody.kind, { nowMs, activatesAt: nowMs + 3_600_000 }),
  );
  const privateJwk = JSON.parse(
    open(service.context.config.masterKey, key.custodyRef, key.kid),
  ) as JWK;
  return { kid: key.kid, privateJwk };
}

/** The ring's published key for `kid`, as a consumer would import it. */
async function publishedKey(kid: string, alg: SigningAlgorithm) {
  const jwk = service.context.signer.publicKeys().find((key) => key.kid === kid);
  if (jwk === undefined) throw new Error(`kid ${kid} is not published`);
  return importJWK(jwk, alg);
}

const claims = {
  iss: 'https://writ.test',
  sub: 'wc_subject',
  aud: ['https://api.writ.test', 'https://other.writ.test'],
  iat: 1_764_640_000,
  nbf: 1_764_640_000,
  exp: 4_102_444_800,
  jti: 'jti-ünïcødé-✓',
  scope: 'api offline_access',
  cnf: { jkt: 'thumbprint' },
  nested: { list: [1, 'two', null, true], empty: {} },
};

/** Flips one bit of the signature, so the token differs from a valid one in that bit only. */
function flipSignatureBit(token: string, bit: number): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

describe('the key ring signs with node:crypto, and jose accepts what it signs', () => {
  it('covers every algorithm the ring signs with', () => {
    expect(SigningAlgorithms).toEqual([
      'EdDSA',
      'ES256',
      'PS256',
      'RS256',
      'ML-DSA-44',
      'ML-DSA-65',
    ]);
  });

  // The ring the service opened itself (its first EdDSA key) first, then one per algorithm.
  it.each(['EdDSA (the generated ring)', ...SigningAlgorithms])('%s', async (name) => {
    const generated = name.startsWith('EdDSA (');
    const alg = (generated ? 'EdDSA' : name) as SigningAlgorithm;
    let privateJwk: JWK | undefined;
    if (!generated) {
      const stored = await storeNextKey(alg);
      privateJwk = stored.privateJwk;
      await activateKey(service.context, stored.kid);
      expect(service.context.keyRing.activeKid()).toBe(stored.kid);
    }
    const kid = service.context.keyRing.activeKid();
    const key = await publishedKey(kid, alg);

    for (const typ of ['at+jwt', 'JWT', 'logout+jwt']) {
      const token = await service.context.signer.sign({ typ, claims });
      expect(decodeProtectedHeader(token)).toEqual({ alg, typ, kid });
      expect(decodeJwt(token)).toEqual(claims);
      const verified = await jwtVerify(token, key, {
        algorithms: [alg],
        typ,
        currentDate: new Date(claims.iat * 1000),
      });
      expect(verified.protectedHeader).toEqual({ alg, typ, kid });
      expect(verified.payload).toEqual(claims);

      // One flipped bit, anywhere in the signature, and jose refuses it.
      const signatureBits = Buffer.from(token.split('.')[2] ?? '', 'base64url').length * 8;
      for (const bit of [0, 7, signatureBits >> 1, signatureBits - 1]) {
        await expect(
          jwtVerify(flipSignatureBit(token, bit), key, { algorithms: [alg] }),
        ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
      }

      // Deterministic schemes (Ed25519, RSA PKCS#1 v1.5): byte for byte what jose signs.
      // (ML-DSA signs with fresh randomness by default, so it is held to jose's verdict only.)
      if (privateJwk !== undefined && (alg.startsWith('RS') || alg === 'EdDSA')) {
        const joseToken = await new SignJWT({ ...claims })
          .setProtectedHeader({ alg, typ, kid })
          .sign(await importJWK(privateJwk, alg));
        expect(token).toBe(joseToken);
      }
    }
  });

  it('drops claims JSON cannot carry exactly as jose does (undefined members)', async () => {
    const token = await service.context.signer.sign({
      typ: 'at+jwt',
      claims: { sub: 'x', gone: undefined },
    });
    expect(decodeJwt(token)).toEqual({ sub: 'x' });
  });
});
