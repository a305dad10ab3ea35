import { randomUUID } from 'node:crypto';
import { type AsymmetricAlgorithm, isAsymmetricAlgorithm } from '@writ/core';
import type { JWK } from 'jose';
import type { Clock } from '../platform/clock.ts';
import { SigningAlgorithms } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { custodyKeyRecord, custodyReference } from './custody-key-record.ts';
import { KeyRingError } from './errors.ts';
import type { KeyCustody, KeyHandle, SigningAlgorithm } from './key-custody.ts';
import type { Signer, SignRequest } from './signer.ts';
import { publishedStates, type StoredSigningKey } from './signing-key-record.ts';
import type { SigningKeysStores } from './signing-keys-store.ts';

/** Encoded protected headers by `typ`: the few kinds of token the service signs, bounded anyway. */
const maxCachedHeaders = 32;
/** How often the ring asks the store whether another instance (or the CLI) changed the keys. */
const followEveryMs = 500;

const signingAlgorithms: ReadonlySet<string> = new Set(SigningAlgorithms);
const isSigningAlgorithm = (alg: string): alg is SigningAlgorithm => signingAlgorithms.has(alg);

/**
 * An active key, opened: its custody handle and its encoded headers, built once per key. `sign`
 * produces exactly what jose's `SignJWT` does for the same request: the header
 * `{ alg, typ, kid }` in that order and the claims as `JSON.stringify` writes them, each
 * base64url-encoded, then the custody's signature over `header.payload`
 * (test/node-signing.test.ts holds every algorithm to jose's verdict).
 */
class SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly activatedAt: number;
  readonly #handle: KeyHandle;
  readonly #headers = new Map<string, string>();
  readonly #onRefused: SignatureRefused;

  constructor(handle: KeyHandle, activatedAt: number, onRefused: SignatureRefused) {
    this.kid = handle.kid;
    this.alg = handle.alg;
    this.activatedAt = activatedAt;
    this.#handle = handle;
    this.#onRefused = onRefused;
  }

  #encodedHeader(typ: string): string {
    const cached = this.#headers.get(typ);
    if (cached !== undefined) return cached;
    const encoded = Buffer.from(JSON.stringify({ alg: this.alg, typ, kid: this.kid })).toString(
      'base64url',
    );
    if (this.#headers.size < maxCachedHeaders) this.#headers.set(typ, encoded);
    return encoded;
  }

  /** `again`: this is the one retry after a refusal (see `KeyRing.#signAfterReload`). */
  async sign(request: SignRequest, again = false): Promise<string> {
    const payload = Buffer.from(JSON.stringify({ ...request.claims })).toString('base64url');
    const input = `${this.#encodedHeader(request.typ)}.${payload}`;
    let signature: Uint8Array;
    try {
      signature = await this.#handle.sign(Buffer.from(input));
    } catch (error) {
      if (again) throw error;
      return this.#onRefused(request, this.kid, error);
    }
    const bytes = Buffer.isBuffer(signature)
      ? signature
      : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
    return `${input}.${bytes.toString('base64url')}`;
  }
}

/** What the ring does when a custody refuses a signature: sign again or throw the error. */
type SignatureRefused = (request: SignRequest, kid: string, error: unknown) => Promise<string>;

export interface KeyRingOptions {
  readonly db: UnitOfWork<SigningKeysStores>;
  /** The configured custody (WRIT_KEY_CUSTODY): the ring opens only keys it made. */
  readonly custody: KeyCustody;
  readonly clock: Clock;
  /** Each gets an active key; the first signs every audience not named in `audienceAlgorithms`. */
  readonly signingAlgorithms: readonly SigningAlgorithm[];
  readonly audienceAlgorithms: ReadonlyMap<string, SigningAlgorithm>;
  /** Told when following the store failed (the ring keeps the keys it had). */
  readonly onFollowError?: (error: unknown) => void;
}

/** What one load of the store produced: swapped in whole, so a sign never sees half of one. */
interface RingState {
  readonly lead: SigningKey;
  readonly active: ReadonlyMap<string, SigningKey>;
  /** `aud` → the key that signs it, when WRIT_AUDIENCE_ALGORITHMS names any. */
  readonly byAudience: ReadonlyMap<string, SigningKey>;
  readonly published: readonly JWK[];
  readonly algorithms: readonly AsymmetricAlgorithm[];
}

/**
 * The service's signing keys, as the keys module's store holds them: one active key per
 * algorithm of the signing set signs (chosen by the token's first `aud`); next, active and
 * retiring keys are published; retired keys never are. Private keys stay with the custody; the
 * ring builds each JWS and asks the key's custody handle for the signature bytes only.
 *
 * The ring follows the store: it polls the store's version twice a second and reloads when it
 * moved, so a rotation made by another instance or the CLI is followed within about a second,
 * and `generation()` moves on with every reload.
 */
export class KeyRing implements Signer {
  readonly custody: KeyCustody;
  /** This ring's name among instances sharing the database (the rotation lease's holder). */
  readonly instanceId = `ring-${randomUUID()}`;
  readonly #options: KeyRingOptions;
  #state!: RingState;
  #version: number;
  #generation = 0;
  /** Reloads run one after another, so an older read never overwrites a newer one. */
  #reloading: Promise<void> = Promise.resolve();
  #following: ReturnType<typeof setInterval> | undefined;
  /** The poll in flight, if any: one at a time, and awaited by `close` before the database goes. */
  #polling: Promise<void> | undefined;
  /** Flows of this process changing the keys now: polls wait, the flow reloads in its own order. */
  #changing = 0;
  /** A store the ring cannot load is reported once, not twice a second, until a reload succeeds. */
  #followFailing = false;

  private constructor(options: KeyRingOptions, version: number) {
    this.custody = options.custody;
    this.#options = options;
    this.#version = version;
  }

  /**
   * Loads the ring. A store with no active key at all (a new service, or one whose every key was
   * withdrawn outside an emergency rotation) gets one active key per configured algorithm at
   * once: no consumer can hold a token of a service that cannot sign, so no lead time is owed.
   */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const { db, custody } = options;
    if ((await db.signingKeys.list(['active'])).length === 0) {
      const nowMs = options.clock.nowMs();
      // Made before the transaction: key generation is slow, a unit of work must not wait on it.
      const made = await Promise.all(options.signingAlgorithms.map((alg) => custody.create(alg)));
      const inserted = await db.transaction(async (tx) => {
        if ((await tx.signingKeys.list(['active'])).length > 0) return false;
        for (const key of made)
          await tx.signingKeys.insert(custodyKeyRecord(key, custody.kind, { nowMs }));
        return true;
      });
      // Another instance started at the same moment and won: these keys were never stored.
      // (Stored ones are announced active below, with every active key.)
      if (!inserted) await Promise.all(made.map((key) => custody.stateChanged(key, 'retired')));
    }
    const version = await db.signingKeys.version();
    const records = await db.signingKeys.list(publishedStates);
    // A crash between an activation's commit and its announcement would leave a custody that
    // enforces states refusing the active key: every start announces the active keys again.
    for (const record of records) {
      if (record.state === 'active' && record.custody === custody.kind)
        await custody.stateChanged(custodyReference(record), 'active');
    }
    const ring = new KeyRing(options, version);
    ring.#state = await loadState(records, options, undefined, ring.#signAfterReload);
    ring.#follow();
    return ring;
  }

  /**
   * Re-reads the stored keys after they changed (here, in another instance, from the CLI) and
   * moves `generation()` on, so what was derived from the old keys is rebuilt. If the stored
   * ring cannot sign, the ring in memory stays as it was and the error is thrown.
   */
  reload(db: UnitOfWork<SigningKeysStores> = this.#options.db): Promise<void> {
    const reloaded = this.#reloading.then(async () => {
      // The version first: a write landing between the two reads shows at the next poll.
      const version = await db.signingKeys.version();
      const records = await db.signingKeys.list(publishedStates);
      this.#state = await loadState(records, this.#options, this.#state, this.#signAfterReload);
      this.#version = version;
      this.#generation += 1;
    });
    // A failed reload must not wedge every later one.
    this.#reloading = reloaded.catch(() => {});
    return reloaded;
  }

  #follow(): void {
    this.#following = setInterval(() => {
      if (this.#polling !== undefined || this.#changing > 0) return;
      this.#polling = this.#options.db.signingKeys
        .version()
        .then(async (version) => {
          if (version !== this.#version) await this.reload();
          this.#followFailing = false;
        })
        .catch((error: unknown) => {
          if (!this.#followFailing) this.#options.onFollowError?.(error);
          this.#followFailing = true;
        })
        .finally(() => {
          this.#polling = undefined;
        });
    }, followEveryMs);
    this.#following.unref();
  }

  /**
   * Runs a flow that changes the stored keys and announces them (announce-key-changes.ts) with
   * this ring's polls paused, so the ring never picks up the flow's commit before the custody
   * heard of it: a key is announced active before this ring signs with it. (Other instances may
   * still follow within their poll; a custody that enforces states accounts for that.)
   */
  async whileChanging<T>(work: () => Promise<T>): Promise<T> {
    this.#changing += 1;
    try {
      return await work();
    } finally {
      this.#changing -= 1;
    }
  }

  /** Stops following the store (before the database closes) and closes the custody. */
  async close(): Promise<void> {
    clearInterval(this.#following);
    await this.#polling;
    await this.#reloading;
    await this.custody.close();
  }

  generation(): number {
    return this.#generation;
  }

  /** The kid of the key that signs every audience without an algorithm of its own. */
  activeKid(): string {
    return this.#state.lead.kid;
  }

  /** Every active key's kid, one per algorithm that has one. */
  activeKids(): string[] {
    return [...this.#state.active.values()].map((key) => key.kid);
  }

  /**
   * Signs with the active key for the token's audience: the first `aud` (a string, or the first
   * of an array) picks an algorithm if WRIT_AUDIENCE_ALGORITHMS names it, the lead key otherwise.
   * One Map lookup on the hot path, none when no audience has an algorithm of its own.
   */
  sign(request: SignRequest): Promise<string> {
    return this.#signingKeyFor(request).sign(request);
  }

  #signingKeyFor(request: SignRequest): SigningKey {
    const state = this.#state;
    if (state.byAudience.size === 0) return state.lead;
    const aud = request.claims.aud;
    const first = Array.isArray(aud) ? aud[0] : aud;
    return (typeof first === 'string' ? state.byAudience.get(first) : undefined) ?? state.lead;
  }

  /**
   * A custody that enforces states (the signer process signs only with keys it was told are
   * active) refuses a key another instance has just retired, before this ring's next poll
   * noticed: if the store moved on since this ring loaded, reload once and sign with the key
   * that signs now. Otherwise, or if the key has not changed, or on a second refusal, the
   * custody's error propagates as it was (a signer that is down answers 503, not 500).
   */
  readonly #signAfterReload: SignatureRefused = async (request, kid, error) => {
    const version = await this.#options.db.signingKeys.version().catch(() => this.#version);
    if (version === this.#version) throw error;
    await this.reload();
    const key = this.#signingKeyFor(request);
    if (key.kid === kid) throw error;
    return key.sign(request, true);
  };

  publicKeys(): readonly JWK[] {
    return this.#state.published;
  }

  /** Algorithms of the published keys, for discovery's `*_signing_alg_values_supported`. */
  algorithms(): readonly AsymmetricAlgorithm[] {
    return this.#state.algorithms;
  }
}

async function openKey(
  record: StoredSigningKey,
  options: KeyRingOptions,
  previous: RingState | undefined,
  onRefused: SignatureRefused,
): Promise<SigningKey> {
  const activatedAt = record.activatedAt ?? record.createdAt;
  const opened = previous?.active.get(record.alg);
  if (opened?.kid === record.kid) return opened;
  refuseUnopenable(record, options.custody);
  return new SigningKey(
    await options.custody.open(custodyReference(record)),
    activatedAt,
    onRefused,
  );
}

/**
 * Throws unless the ring can sign with `key`: an algorithm it signs with, held by the configured
 * custody (never ask one custody to open another's key). Checked before a key is activated too,
 * so a key the ring would refuse never becomes the active one in the store.
 */
export function refuseUnopenable(
  key: Pick<StoredSigningKey, 'kid' | 'alg' | 'custody'>,
  custody: Pick<KeyCustody, 'kind'>,
): void {
  if (!isSigningAlgorithm(key.alg)) {
    throw new KeyRingError(
      `key ${key.kid} names an algorithm the ring does not sign with`,
      'ERR_KEY_RING_UNKNOWN_ALGORITHM',
    );
  }
  if (key.custody !== custody.kind) {
    throw new KeyRingError(
      `key ${key.kid} is held by custody "${key.custody}", not the configured "${custody.kind}" (WRIT_KEY_CUSTODY)`,
      'ERR_KEY_RING_CUSTODY_MISMATCH',
    );
  }
}

async function loadState(
  records: readonly StoredSigningKey[],
  options: KeyRingOptions,
  previous: RingState | undefined,
  onRefused: SignatureRefused,
): Promise<RingState> {
  // Oldest first, so a later activation of an algorithm wins if two were ever active at once.
  const active = new Map<string, SigningKey>();
  for (const record of records) {
    if (record.state === 'active')
      active.set(record.alg, await openKey(record, options, previous, onRefused));
  }
  // The lead algorithm's key; during an algorithm switch (its next key not active yet) the first
  // configured algorithm that has one; failing that, the newest active key, so the ring signs
  // on with the key it has until the configured one takes over.
  const lead =
    options.signingAlgorithms.map((alg) => active.get(alg)).find((key) => key !== undefined) ??
    [...active.values()].sort((a, b) => a.activatedAt - b.activatedAt).at(-1);
  if (lead === undefined) throw new KeyRingError('key ring has no active key');
  const byAudience = new Map<string, SigningKey>();
  for (const [audience, alg] of options.audienceAlgorithms) {
    // Until the audience's algorithm has an active key (it was just added), the lead signs it.
    byAudience.set(audience, active.get(alg) ?? lead);
  }
  const published = records.map((key) => JSON.parse(key.publicJwk) as JWK);
  return {
    lead,
    active,
    byAudience,
    published,
    algorithms: [...new Set(records.map((key) => key.alg))].filter(isAsymmetricAlgorithm),
  };
}
