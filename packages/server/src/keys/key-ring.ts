import { type AsymmetricAlgorithm, isAsymmetricAlgorithm } from '@writ/core';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';
import { open, seal } from '../platform/crypto/sealed-box.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { KeyRingError } from './errors.ts';
import type { Signer, SignRequest } from './signer.ts';
import type { SigningKeyRecord } from './signing-key-record.ts';
import type { SigningKeysStores } from './signing-keys-store.ts';

interface ActiveKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
}

const defaultAlgorithm = 'EdDSA';

async function generateSigningKey(masterKey: Uint8Array, now: number): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(defaultAlgorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  // The RFC 7638 thumbprint as kid: stable, derived from the key, reveals nothing else.
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg: defaultAlgorithm,
    state: 'active',
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: defaultAlgorithm, use: 'sig' }),
    sealedPrivateJwk: seal(masterKey, JSON.stringify(privateJwk), kid),
    createdAt: now,
    activatedAt: now,
    retiredAt: null,
  };
}

/**
 * The service's signing keys: one active key signs; next, active and retiring keys are
 * published. Private keys are stored sealed under the master key and opened only in memory.
 * (Scheduled and emergency rotation build on these states in the key-lifecycle work.)
 */
export class KeyRing implements Signer {
  #active: ActiveKey;
  #published: readonly JWK[];

  private constructor(active: ActiveKey, published: readonly JWK[]) {
    this.#active = active;
    this.#published = published;
  }

  /** Loads the ring, creating the first signing key if there is none. */
  static async open(
    db: UnitOfWork<SigningKeysStores>,
    masterKey: Uint8Array,
    nowMs: number,
  ): Promise<KeyRing> {
    const records = await db.transaction(async (tx) => {
      let keys = await tx.signingKeys.list(['next', 'active', 'retiring']);
      if (!keys.some((key) => key.state === 'active')) {
        await tx.signingKeys.insert(await generateSigningKey(masterKey, nowMs));
        keys = await tx.signingKeys.list(['next', 'active', 'retiring']);
      }
      return keys;
    });
    const activeRecord = records.filter((key) => key.state === 'active').at(-1);
    if (activeRecord === undefined) throw new KeyRingError('key ring has no active key');
    const privateJwk = JSON.parse(
      open(masterKey, activeRecord.sealedPrivateJwk, activeRecord.kid),
    ) as JWK;
    const privateKey = (await importJWK(privateJwk, activeRecord.alg)) as CryptoKey;
    return new KeyRing(
      { kid: activeRecord.kid, alg: activeRecord.alg, privateKey },
      records.map((key) => JSON.parse(key.publicJwk) as JWK),
    );
  }

  async sign(request: SignRequest): Promise<string> {
    return new SignJWT({ ...request.claims })
      .setProtectedHeader({ alg: this.#active.alg, typ: request.typ, kid: this.#active.kid })
      .sign(this.#active.privateKey);
  }

  publicKeys(): readonly JWK[] {
    return this.#published;
  }

  algorithms(): readonly AsymmetricAlgorithm[] {
    // Keys are only ever stored with an algorithm Writ signs with (see generateSigningKey).
    return [...new Set(this.#published.map((key) => String(key.alg)))].filter(
      isAsymmetricAlgorithm,
    );
  }
}
