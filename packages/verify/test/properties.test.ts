import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { createVerifier, InvalidTokenError, type Verifier } from '../src/index.ts';
import { audience, b64json, issuer, sign, validClaims, withSegment } from './support/tokens.ts';

let key: SigningKey;
let attacker: SigningKey;
let verifier: Verifier;
let valid: string;

beforeAll(async () => {
  [key, attacker] = await Promise.all([ed25519('k1'), ed25519('k1')]);
  verifier = createVerifier({ issuer, audience, jwks: { keys: [key.publicJwk] } });
  valid = await sign(key);
});

async function verifies(token: string): Promise<boolean> {
  try {
    await verifier.verify(token);
    return true;
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    return false;
  }
}

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const runs = { numRuns: 300 };

describe('mutations of a valid token', () => {
  it('never verify when one character is replaced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), printable, async (position, replacement) => {
        const index = position % valid.length;
        const mutated = valid.slice(0, index) + replacement + valid.slice(index + 1);
        fc.pre(mutated !== valid);
        expect(await verifies(mutated)).toBe(false);
      }),
      runs,
    );
  });

  it('never verify when characters are inserted or deleted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat({ max: 8 }),
        fc.string({ unit: printable, maxLength: 8 }),
        async (position, deleteCount, inserted) => {
          const index = position % (valid.length + 1);
          const mutated = valid.slice(0, index) + inserted + valid.slice(index + deleteCount);
          fc.pre(mutated !== valid);
          expect(await verifies(mutated)).toBe(false);
        },
      ),
      runs,
    );
  });

  it('never verify when a claim is changed, added or removed without re-signing', async () => {
    const claims = JSON.parse(
      Buffer.from(valid.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    const names = [...Object.keys(claims), 'admin', 'role', 'cnf'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.option(fc.jsonValue(), { nil: undefined }),
        async (name, value) => {
          const mutated = { ...claims, [name]: value };
          if (value === undefined) delete mutated[name];
          fc.pre(JSON.stringify(mutated) !== JSON.stringify(claims));
          expect(await verifies(withSegment(valid, 1, b64json(mutated)))).toBe(false);
        },
      ),
      runs,
    );
  });

  it('never verify when a header parameter is changed, added or removed', async () => {
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alg', 'typ', 'kid', 'crit', 'b64', 'jwk', 'jku', 'x5c', 'zip', 'cty'),
        fc.option(fc.jsonValue(), { nil: undefined }),
        async (name, value) => {
          const mutated: Record<string, unknown> = { ...header, [name]: value };
          if (value === undefined) delete mutated[name];
          fc.pre(JSON.stringify(mutated) !== JSON.stringify(header));
          expect(await verifies(withSegment(valid, 0, b64json(mutated)))).toBe(false);
        },
      ),
      runs,
    );
  });

  it('never verify when re-signed with any claims by a key the verifier does not trust', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string(), async (sub, scope) => {
        expect(await verifies(await sign(attacker, validClaims({ sub, scope })))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('tokens the issuer really signed', () => {
  it('verify with exactly the claims that were signed, whatever their values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.array(fc.stringMatching(/^[a-z:._-]{1,12}$/), { maxLength: 6 }),
        fc.integer({ min: 10, max: 900 }),
        async (sub, scopes, lifetime) => {
          const claims = validClaims({
            sub,
            scope: scopes.join(' '),
            exp: Math.floor(Date.now() / 1000) + lifetime,
          });
          const { claims: verified, scopes: parsed } = await verifier.verify(
            await sign(key, claims),
          );
          expect(verified).toEqual(claims);
          expect([...parsed].sort()).toEqual([...new Set(scopes)].sort());
        },
      ),
      { numRuns: 100 },
    );
  });
});
