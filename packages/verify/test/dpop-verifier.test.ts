import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, p256, type SigningKey } from '../../../test/support/keys.ts';
import {
  createDpopReplayCache,
  createVerifier,
  DpopNonceRequiredError,
  type DpopRejectReason,
  InsufficientScopeError,
  InvalidTokenError,
  type RejectEvent,
  type TokenPresentation,
  type VerifierOptions,
} from '../src/index.ts';
import { athOf, type DpopKey, dpopKey, signProof } from './support/dpop-proofs.ts';
import { audience, issuer, sign, validClaims } from './support/tokens.ts';

const url = 'https://api.writ.test/orders';
let signer: SigningKey;
let client: DpopKey;
let thief: DpopKey;
let base: VerifierOptions;

beforeAll(async () => {
  signer = await ed25519('as-1');
  [client, thief] = await Promise.all([
    p256('client').then(dpopKey),
    ed25519('thief').then(dpopKey),
  ]);
  base = { issuer, audience, jwks: { keys: [signer.publicJwk] }, dpop: {} };
});

const boundToken = (jkt = client.jkt, claims: Record<string, unknown> = {}) =>
  sign(signer, validClaims({ cnf: { jkt }, ...claims }));

async function presentation(
  token: string,
  key: DpopKey = client,
  overrides: Partial<TokenPresentation> & { htm?: string; htu?: string } = {},
): Promise<TokenPresentation> {
  const proof = await signProof(key, {
    htm: overrides.htm ?? 'GET',
    htu: overrides.htu ?? url,
    ath: athOf(token),
  });
  return { scheme: 'DPoP', method: 'GET', url, dpopProofs: [proof], ...overrides };
}

/** Verifies and reports the outcome: 'accepted', or the DPoP reason (or plain reason) refused for. */
function recordingVerifier(options: VerifierOptions) {
  const events: RejectEvent[] = [];
  const verifier = createVerifier({ ...options, onReject: (event) => events.push(event) });
  const outcome = async (
    token: string,
    presented: TokenPresentation | undefined,
  ): Promise<'accepted' | DpopRejectReason | string> => {
    events.length = 0;
    try {
      await verifier.verify(
        token,
        presented === undefined ? undefined : { presentation: presented },
      );
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect((error as Error).message).toBe('invalid token');
      const [event] = events;
      return event?.dpop ?? event?.reason ?? 'no event';
    }
  };
  return { verifier, outcome, events };
}

describe('a verifier with dpop', () => {
  it('accepts a bound token with a proof by its key, for this request', async () => {
    const { outcome } = recordingVerifier(base);
    const token = await boundToken();
    expect(await outcome(token, await presentation(token))).toBe('accepted');
  });

  it('refuses a stolen bound token replayed without the key (the thief signs with its own)', async () => {
    const { outcome } = recordingVerifier(base);
    const token = await boundToken();
    expect(await outcome(token, await presentation(token, thief))).toBe('dpop_jkt_mismatch');
    expect(await outcome(token, { scheme: 'DPoP', method: 'GET', url, dpopProofs: [] })).toBe(
      'dpop_proof_missing',
    );
  });

  it('refuses a bound token presented as Bearer, even with a good proof beside it', async () => {
    const { outcome } = recordingVerifier(base);
    const token = await boundToken();
    const presented = await presentation(token);
    expect(await outcome(token, { ...presented, scheme: 'Bearer' })).toBe(
      'dpop_bound_token_as_bearer',
    );
    expect(await outcome(token, undefined)).toBe('dpop_proof_missing');
  });

  it('refuses a replayed proof, on the uncached and on the cached path alike', async () => {
    const { verifier, outcome } = recordingVerifier(base);
    const token = await boundToken();
    const first = await presentation(token);
    expect(await outcome(token, first)).toBe('accepted');
    // The token is now in the verified cache: the hit must run the DPoP check too.
    expect(await outcome(token, first)).toBe('dpop_replayed');
    expect(await outcome(token, await presentation(token))).toBe('accepted');
    // And a fresh verifier (cold cache) with a shared replay cache refuses it as well.
    const replay = createDpopReplayCache();
    const cold = recordingVerifier({ ...base, dpop: { replay } });
    const another = await presentation(token);
    expect(await cold.outcome(token, another)).toBe('accepted');
    const colder = recordingVerifier({ ...base, dpop: { replay } });
    expect(await colder.outcome(token, another)).toBe('dpop_replayed');
    await verifier.close();
  });

  it('refuses proofs for another URL, another method, another token', async () => {
    const { outcome } = recordingVerifier(base);
    const token = await boundToken();
    const other = await boundToken();
    expect(await outcome(token, await presentation(token, client, { htu: `${url}/x` }))).toBe(
      'dpop_htu_mismatch',
    );
    expect(await outcome(token, await presentation(token, client, { htm: 'DELETE' }))).toBe(
      'dpop_htm_mismatch',
    );
    expect(await outcome(token, await presentation(other))).toBe('dpop_ath_mismatch');
    expect(await outcome(token, { ...(await presentation(token)), dpopProofs: ['a', 'b'] })).toBe(
      'dpop_proof_repeated',
    );
  });

  it('refuses an unbound token sent with the DPoP scheme, and takes it as Bearer', async () => {
    const { outcome } = recordingVerifier(base);
    const plain = await sign(signer, validClaims());
    expect(await outcome(plain, await presentation(plain))).toBe('dpop_token_not_bound');
    expect(await outcome(plain, { scheme: 'Bearer', method: 'GET', url, dpopProofs: [] })).toBe(
      'accepted',
    );
    expect(await outcome(plain, undefined)).toBe('accepted');
  });

  it('with required: true refuses every unbound token', async () => {
    const { outcome } = recordingVerifier({ ...base, dpop: { required: true } });
    const plain = await sign(signer, validClaims());
    expect(await outcome(plain, undefined)).toBe('dpop_token_not_bound');
    const token = await boundToken();
    expect(await outcome(token, await presentation(token))).toBe('accepted');
  });

  it('refuses a confirmation it cannot check (mTLS x5t#S256)', async () => {
    const { outcome } = recordingVerifier(base);
    const token = await sign(signer, validClaims({ cnf: { 'x5t#S256': 'abc' } }));
    expect(await outcome(token, await presentation(token))).toBe('proof_required');
  });

  it('checks the proof before scopes: a stolen bound token learns nothing from a 403', async () => {
    const { verifier } = recordingVerifier(base);
    const token = await boundToken();
    const stolen = await presentation(token, thief);
    await expect(
      verifier.verify(token, { presentation: stolen, requiredScopes: ['admin'] }),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(
      verifier.verify(token, {
        presentation: await presentation(token),
        requiredScopes: ['admin'],
      }),
    ).rejects.toBeInstanceOf(InsufficientScopeError);
  });

  it('asks for a nonce with DpopNonceRequiredError, and accepts the proof carrying it', async () => {
    const { verifier, events } = recordingVerifier({ ...base, dpop: { nonce: true } });
    const token = await boundToken();
    const error = await verifier.verify(token, { presentation: await presentation(token) }).then(
      () => undefined,
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(DpopNonceRequiredError);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(events[0]).toEqual({ reason: 'proof_required', dpop: 'dpop_nonce_required' });
    const nonce = (error as DpopNonceRequiredError).nonce;
    const proof = await signProof(client, { htm: 'GET', htu: url, ath: athOf(token), nonce });
    const verified = await verifier.verify(token, {
      presentation: { scheme: 'DPoP', method: 'GET', url, dpopProofs: [proof] },
    });
    expect(verified.claims.cnf?.jkt).toBe(client.jkt);
  });
});

describe('a verifier without dpop', () => {
  it('still refuses every bound token as proof_required, proof or not', async () => {
    const { dpop: _dpop, ...withoutDpop } = base;
    const { outcome } = recordingVerifier(withoutDpop);
    const token = await boundToken();
    expect(await outcome(token, await presentation(token))).toBe('proof_required');
    expect(await outcome(token, undefined)).toBe('proof_required');
    expect(await outcome(await sign(signer, validClaims()), undefined)).toBe('accepted');
  });
});
