import {
  constants,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import {
  AsymmetricAlgorithms,
  isSymmetricAlgorithm,
  type JwsAlgorithm,
  SymmetricAlgorithms,
} from '@writ/core';
import fc from 'fast-check';
import { compactVerify, importJWK, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJsonObject, splitCompact } from '../src/compact.ts';
import { buildKeyIndex } from '../src/key-index.ts';
import { createSecretKey } from '../src/secret-key.ts';
import { type VerificationKey, verifySignature } from '../src/signature.ts';
import { type DispatchPath, dispatchForTests } from '../src/signature-dispatch.ts';
import { createHostileKit, hostileCases } from './support/hostile-tokens.ts';
import { b64, b64json, validClaims } from './support/tokens.ts';

/**
 * The signature step (node:crypto, parameters from signature-algorithms.ts) against jose, the
 * library the ecosystem trusts, with the same key and the algorithm pinned: for every algorithm
 * Writ supports, they must agree on every token — valid ones, the hostile table, mutations —
 * whichever thread checks it: the main thread (one at a time), the verify worker (many in
 * flight; here every token is also sent to it alone), or a batch shared by both.
 */

const algorithms: readonly JwsAlgorithm[] = [...AsymmetricAlgorithms, ...SymmetricAlgorithms];

interface SignOptions {
  readonly saltLength?: number;
  /** ECDSA only: DER, as X.509 signers write it, instead of R‖S. */
  readonly der?: boolean;
}

interface Subject {
  readonly alg: JwsAlgorithm;
  readonly ours: VerificationKey;
  readonly jose: CryptoKey | Uint8Array;
  /** Signs any signing input the way the algorithm says (for tokens jose would not produce). */
  readonly signInput: (input: string, options?: SignOptions) => Buffer;
  readonly valid: string;
}

const isMlDsa = (alg: JwsAlgorithm): alg is 'ML-DSA-44' | 'ML-DSA-65' =>
  alg === 'ML-DSA-44' || alg === 'ML-DSA-65';

const digestOf = (alg: JwsAlgorithm): string | null =>
  alg === 'EdDSA' || alg === 'Ed25519' || isMlDsa(alg) ? null : `sha${alg.slice(2)}`;

function pairFor(alg: JwsAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  if (alg === 'EdDSA' || alg === 'Ed25519') return generateKeyPairSync('ed25519');
  if (alg === 'ML-DSA-44') return generateKeyPairSync('ml-dsa-44');
  if (alg === 'ML-DSA-65') return generateKeyPairSync('ml-dsa-65');
  const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as string];
  if (curve !== undefined) return generateKeyPairSync('ec', { namedCurve: curve });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

async function subjectFor(alg: JwsAlgorithm): Promise<Subject> {
  const header = { alg, typ: 'at+jwt', kid: 'k' };
  if (isSymmetricAlgorithm(alg)) {
    const secret = randomBytes(64);
    const ours = await createSecretKey(secret, [alg]).resolve(undefined, alg);
    const valid = await new SignJWT(validClaims()).setProtectedHeader(header).sign(secret);
    return {
      alg,
      ours,
      jose: secret,
      signInput: (input) =>
        createHmac(digestOf(alg) as string, secret)
          .update(input)
          .digest(),
      valid,
    };
  }
  const pair = pairFor(alg);
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k' };
  const index = await buildKeyIndex({ keys: [jwk] }, new Set([alg]));
  const ours = index.get('k')?.get(alg);
  if (ours === undefined) throw new Error(`no ${alg} key indexed`);
  const signInput = (input: string, options: SignOptions = {}): Buffer =>
    sign(digestOf(alg), Buffer.from(input), {
      key: pair.privateKey,
      dsaEncoding: options.der === true ? 'der' : 'ieee-p1363',
      ...(alg.startsWith('PS')
        ? {
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: options.saltLength ?? Number(alg.slice(2)) / 8,
          }
        : {}),
    });
  const input = `${b64json(header)}.${b64json(validClaims())}`;
  return {
    alg,
    ours,
    jose: (await importJWK(jwk, alg)) as CryptoKey,
    signInput,
    valid: `${input}.${b64(signInput(input))}`,
  };
}

/** Our decision: the segments split and canonical, the header's alg the pinned one, the signature good. */
async function oursAccepts(
  subject: Subject,
  token: string,
  path: DispatchPath = 'dispatched',
): Promise<boolean> {
  let segments: ReturnType<typeof splitCompact>;
  try {
    segments = splitCompact(token);
    if (decodeJsonObject(segments.header).alg !== subject.alg) return false;
  } catch {
    return false;
  }
  // The path stays forced until the check is answered: a batch is flushed on the next turn.
  dispatchForTests.forcePath(path);
  try {
    const checked = verifySignature(segments, subject.ours);
    // HMAC never leaves the main thread; every other check must have gone where it was sent.
    const toWorker = path === 'worker' && !isSymmetricAlgorithm(subject.alg);
    if (path !== 'dispatched' && checked instanceof Promise !== toWorker) {
      throw new WrongPath(`${subject.alg}: the check did not take the ${path} path`);
    }
    await checked;
    return true;
  } catch (error) {
    if (error instanceof WrongPath) throw error;
    return false;
  } finally {
    dispatchForTests.forcePath('dispatched');
  }
}

class WrongPath extends Error {}

async function joseAccepts(subject: Subject, token: string): Promise<boolean> {
  try {
    await compactVerify(token, subject.jose, { algorithms: [subject.alg] });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the two may rightly differ: Writ refuses non-canonical base64url (so a signature cannot be
 * re-spelled) and any `crit` or `b64` header before the signature; jose is laxer about the first.
 * For those tokens Writ must refuse, whatever jose says.
 */
function writIsStricter(token: string): boolean {
  try {
    const segments = splitCompact(token);
    const header = decodeJsonObject(segments.header);
    return 'crit' in header || 'b64' in header;
  } catch {
    return true;
  }
}

async function expectAgreement(subject: Subject, token: string): Promise<void> {
  for (const path of ['main thread', 'worker'] as const satisfies readonly DispatchPath[]) {
    const ours = await oursAccepts(subject, token, path);
    if (writIsStricter(token)) {
      expect(ours, `${subject.alg} (${path}) accepted ${token}`).toBe(false);
      continue;
    }
    const jose = await joseAccepts(subject, token);
    expect(ours, `${subject.alg} (${path}): node:crypto ${ours}, jose ${jose} for ${token}`).toBe(
      jose,
    );
  }
}

const subjects = new Map<JwsAlgorithm, Subject>();

beforeAll(async () => {
  for (const alg of algorithms) subjects.set(alg, await subjectFor(alg));
}, 60_000);

const subject = (alg: JwsAlgorithm): Subject => {
  const found = subjects.get(alg);
  if (found === undefined) throw new Error(`no subject for ${alg}`);
  return found;
};

describe.each(algorithms)('the node:crypto signature step for %s', (alg) => {
  it('accepts what jose accepts: a valid token', async () => {
    expect(await joseAccepts(subject(alg), subject(alg).valid)).toBe(true);
    expect(await oursAccepts(subject(alg), subject(alg).valid)).toBe(true);
  });

  it('agrees with jose on every token of the hostile table', async () => {
    const kit = await createHostileKit();
    for (const hostile of hostileCases) {
      await expectAgreement(subject(alg), await hostile.make(kit));
    }
  });

  it('agrees with jose with many in flight: the hostile table and valid tokens at once, shared by both threads', async () => {
    const s = subject(alg);
    const kit = await createHostileKit();
    const tokens: string[] = [];
    for (const hostile of hostileCases) tokens.push(await hostile.make(kit), s.valid);
    // Several rounds, so the batches land on a running worker as well as on the main thread.
    for (let round = 0; round < 4; round++) {
      const ours = await Promise.all(tokens.map((token) => oursAccepts(s, token)));
      const expected = await Promise.all(
        tokens.map(async (token) => !writIsStricter(token) && (await joseAccepts(s, token))),
      );
      expect(ours).toEqual(expected);
    }
  });

  it('agrees with jose on tokens signed with the right key and other parameters', async () => {
    const s = subject(alg);
    const [header, payload] = s.valid.split('.') as [string, string];
    const input = `${header}.${payload}`;
    const variants: string[] = [];
    if (alg.startsWith('PS')) {
      // PSS with a salt of another length: RFC 7518 §3.5 fixes it to the digest's.
      for (const saltLength of [0, 20, 64]) variants.push(b64(s.signInput(input, { saltLength })));
    }
    if (alg.startsWith('ES')) {
      // A good signature in DER, as an X.509 signer would write it.
      variants.push(b64(s.signInput(input, { der: true })));
    }
    // The signature of another algorithm of the same family over the same input.
    for (const other of algorithms) {
      if (other === alg) continue;
      const candidate = subjects.get(other);
      if (candidate !== undefined) variants.push(b64(candidate.signInput(input)));
    }
    for (const signature of variants) await expectAgreement(s, `${input}.${signature}`);
  });

  it('agrees with jose on random mutations of a valid token', async () => {
    const s = subject(alg);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/';
    const mutation = fc.oneof(
      // One character replaced anywhere.
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(),
        char: fc.constantFrom(...alphabet),
      }),
      // Truncated at any length.
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      // One bit of the decoded signature flipped.
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
      // Another header (another alg, extra members) over the same payload and signature.
      fc.record({
        kind: fc.constant('header' as const),
        alg: fc.constantFrom(...algorithms, 'none', 'ES256K'),
        extra: fc.dictionary(fc.constantFrom('kid', 'typ', 'jku', 'x'), fc.string()),
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const [header, payload, signature] = s.valid.split('.') as [string, string, string];
        let token: string;
        switch (m.kind) {
          case 'replace': {
            const at = m.at % s.valid.length;
            token = s.valid.slice(0, at) + m.char + s.valid.slice(at + 1);
            break;
          }
          case 'truncate':
            token = s.valid.slice(0, m.at % s.valid.length);
            break;
          case 'flip': {
            const bytes = Buffer.from(signature, 'base64url');
            const at = m.at % bytes.length;
            bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
            token = `${header}.${payload}.${b64(bytes)}`;
            break;
          }
          case 'header':
            token = `${b64json({ alg: m.alg, typ: 'at+jwt', ...m.extra })}.${payload}.${signature}`;
            break;
        }
        await expectAgreement(s, token);
      }),
      { numRuns: 200 },
    );
  });
});
