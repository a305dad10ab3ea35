import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, p256, rsa } from '../../../test/support/keys.ts';
import { createDpopReplayCache, verifyDpopProof } from '../src/index.ts';
import { type DpopKey, dpopKey, signProof } from './support/dpop-proofs.ts';

/**
 * The proof's signature and thumbprint, checked with node:crypto (dpop/proof-check.ts), against
 * jose as the oracle: for valid proofs and for proofs with any one character of the header,
 * payload or signature changed, @writ/verify accepts exactly when jose's embedded-JWK verify
 * does (with the same typ and algorithm rules), and computes the same RFC 7638 thumbprint.
 */
const htu = 'https://api.writ.test/orders';
let keys: DpopKey[];

beforeAll(async () => {
  keys = await Promise.all([
    ed25519('d-ed').then(dpopKey),
    p256('d-es').then(dpopKey),
    rsa('d-rs').then(dpopKey),
  ]);
});

async function joseAccepts(proof: string, algorithms: string[]): Promise<string | undefined> {
  try {
    const { protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms,
    });
    return calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256');
  } catch {
    return undefined;
  }
}

function writAccepts(proof: string, algorithms: Array<'EdDSA' | 'ES256' | 'PS256' | 'RS256'>) {
  const result = verifyDpopProof(proof, {
    method: 'GET',
    url: htu,
    nowSec: Math.floor(Date.now() / 1000),
    // A cache per check: here only the cryptography is compared, not replay.
    replay: createDpopReplayCache({ maxEntries: 1 }),
    algorithms,
  });
  return result.ok ? result.jkt : undefined;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('DPoP proof verification agrees with jose', () => {
  it('on valid proofs: same acceptance, same thumbprint', async () => {
    for (const key of keys) {
      const proof = await signProof(key, { htm: 'GET', htu });
      const algorithms = [key.key.alg] as Array<'EdDSA' | 'ES256' | 'RS256'>;
      const writ = writAccepts(proof, algorithms);
      expect(writ).toBe(key.jkt);
      expect(await joseAccepts(proof, algorithms)).toBe(writ);
    }
  });

  it('on proofs with one character changed anywhere', async () => {
    for (const key of keys) {
      const algorithms = [key.key.alg] as Array<'EdDSA' | 'ES256' | 'RS256'>;
      const proof = await signProof(key, { htm: 'GET', htu, jti: randomBytes(8).toString('hex') });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: proof.length - 1 }),
          fc.integer({ min: 0, max: alphabet.length - 1 }),
          async (position, replacement) => {
            if (proof[position] === '.') return;
            const mutated =
              proof.slice(0, position) + alphabet[replacement] + proof.slice(position + 1);
            const writ = writAccepts(mutated, algorithms);
            const jose = await joseAccepts(mutated, algorithms);
            // jose leaves htm/htu/iat/jti to the caller; a mutation that keeps the signature
            // valid is one jose would accept, and then Writ's answer is the same key or a
            // refusal of the claims, never acceptance of a bad signature.
            if (writ !== undefined) expect(jose).toBe(writ);
            if (jose === undefined) expect(writ).toBeUndefined();
          },
        ),
        { numRuns: 150 },
      );
    }
  });
});
