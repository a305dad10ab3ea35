import { type AsymmetricAlgorithm, isAsymmetricAlgorithm } from '@writ/core';
import { importJWK, type JWK } from 'jose';
import { open } from '../platform/crypto/sealed-box.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { KeyRingError } from './errors.ts';
import { generateSigningKey } from './generate-signing-key.ts';
import { type NodeSigningKey, nodeSigningKey } from './node-signing.ts';
import type { Signer, SignRequest } from './signer.ts';
import type { SigningKeyRecord } from './signing-key-record.ts';
import type { SigningKeysStores } from './signing-keys-store.ts';

/** The key that signs now: its node:crypto `KeyObject`, built once when the key is opened. */
type ActiveKey = NodeSigningKey;

/** The states whose keys are published (and whose tokens therefore verify). */
const publishedStates = ['next', 'active', 'retiring'] as const;

async function openActiveKey(
  records: readonly SigningKeyRecord[],
  masterKey: Uint8Array,
): Promise<ActiveKey> {
  const activeRecord = records.filter((key) => key.state === 'active').at(-1);
  if (activeRecord === undefined) throw new KeyRingError('key ring has no active key');
  const privateJwk = JSON.parse(
    open(masterKey, activeRecord.sealedPrivateJwk, activeRecord.kid),
  ) as JWK;
  const { alg, kid } = activeRecord;
  if (!isAsymmetricAlgorithm(alg))
    throw new KeyRingError('the active key has no signing algorithm');
  // jose parses and validates the JWK; node:crypto signs with the key it built (see node-signing.ts).
  const privateKey = (await importJWK(privateJwk, alg, { extractable: true })) as CryptoKey;
  try {
    return nodeSigningKey(alg, kid, privateKey);
  } catch {
    throw new KeyRingError('the active key does not fit its algorithm');
  }
}

/**
 * The service's signing keys: one active key signs; next, active and retiring keys are
 * published. Private keys are stored sealed under the master key and opened only in memory.
 * (Scheduled and emergency rotation build on these states in the key-lifecycle work.)
 */
export class KeyRing implements Signer {
  #active: ActiveKey;
  #published: readonly JWK[];
  #generation = 0;
  readonly #masterKey: Uint8Array;
  /** Reloads run one after another, so an older read never overwrites a newer one. */
  #reloading: Promise<void> = Promise.resolve();

  private constructor(active: ActiveKey, published: readonly JWK[], masterKey: Uint8Array) {
    this.#active = active;
    this.#published = published;
    this.#masterKey = masterKey;
  }

  /** Loads the ring, creating the first signing key if there is none. */
  static async open(
    db: UnitOfWork<SigningKeysStores>,
    masterKey: Uint8Array,
    nowMs: number,
  ): Promise<KeyRing> {
    const records = await db.transaction(async (tx) => {
      let keys = await tx.signingKeys.list(publishedStates);
      if (!keys.some((key) => key.state === 'active')) {
        await tx.signingKeys.insert(await generateSigningKey(masterKey, 'active', nowMs));
        keys = await tx.signingKeys.list(publishedStates);
      }
      return keys;
    });
    return new KeyRing(
      await openActiveKey(records, masterKey),
      records.map((key) => JSON.parse(key.publicJwk) as JWK),
      masterKey,
    );
  }

  /**
   * Re-reads the stored keys after the keys module changed them (a key published, a key
   * activated) and moves `generation()` on, so what was derived from the old keys is rebuilt.
   * If the stored ring cannot sign, the ring in memory stays as it was and the error is thrown.
   */
  reload(db: UnitOfWork<SigningKeysStores>): Promise<void> {
    const reloaded = this.#reloading.then(async () => {
      const records = await db.signingKeys.list(publishedStates);
      const activeKid = records.filter((key) => key.state === 'active').at(-1)?.kid;
      if (activeKid !== this.#active.kid) {
        this.#active = await openActiveKey(records, this.#masterKey);
      }
      this.#published = records.map((key) => JSON.parse(key.publicJwk) as JWK);
      this.#generation += 1;
    });
    // A failed reload must not wedge every later one.
    this.#reloading = reloaded.catch(() => {});
    return reloaded;
  }

  generation(): number {
    return this.#generation;
  }

  /** The kid of the key that signs now. */
  activeKid(): string {
    return this.#active.kid;
  }

  /**
   * Signs with node:crypto over the key built once per active key: about half the cost of
   * jose's `SignJWT` over WebCrypto on the token endpoint's hot path. jose verifies every token
   * this produces, for every algorithm a ring can hold (test/node-signing.test.ts).
   */
  sign(request: SignRequest): Promise<string> {
    return this.#active.sign(request);
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
