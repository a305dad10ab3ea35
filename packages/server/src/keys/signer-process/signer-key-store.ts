import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { open as openSealed, seal } from '../../platform/crypto/sealed-box.ts';
import type { SigningAlgorithm } from '../key-custody.ts';
import { SignerStartError } from './signer-errors.ts';
import { generateKey, isSignerAlgorithm, openPrivateKey, type SignBytes } from './signer-keys.ts';

/** The ring's states as the signer records them; it signs only in `active`. */
export type SignerKeyState = 'next' | 'active' | 'retiring' | 'retired';

const stateOrder: Readonly<Record<SignerKeyState, number>> = {
  next: 0,
  active: 1,
  retiring: 2,
  retired: 3,
};

export function isSignerKeyState(value: unknown): value is SignerKeyState {
  return typeof value === 'string' && Object.hasOwn(stateOrder, value);
}

/** One key as the signer keeps it: the private half sealed under the signer's master key. */
interface StoredKey {
  readonly handle: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: SignerKeyState;
  readonly publicJwk: JWK;
  /** Null once retired: the private half is gone for good. */
  readonly sealedPrivateJwk: string | null;
  readonly createdAtMs: number;
  readonly changedAtMs: number;
}

export interface SignerKeySummary {
  readonly handle: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: SignerKeyState;
}

export type SigningKeyLookup =
  | {
      readonly ok: true;
      readonly kid: string;
      readonly alg: SigningAlgorithm;
      readonly sign: SignBytes;
    }
  | { readonly ok: false; readonly reason: 'unknown_key' | 'key_not_active' };

const fileName = 'signer-keys.json';
const fileFormat = 'writ-signer-keys-v1';
/** Far more than any ring holds (a few per algorithm); bounds the file and the memory. */
const maxKeys = 1000;

/** The key's handle, kid and algorithm are bound to its sealed private half. */
const sealContext = (key: Pick<StoredKey, 'handle' | 'kid' | 'alg'>): string =>
  `writ-signer:${key.handle}:${key.kid}:${key.alg}`;

function parseStoredKey(value: unknown): StoredKey | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const key = value as Record<string, unknown>;
  if (
    typeof key.handle !== 'string' ||
    typeof key.kid !== 'string' ||
    !isSignerAlgorithm(key.alg) ||
    !isSignerKeyState(key.state) ||
    typeof key.publicJwk !== 'object' ||
    key.publicJwk === null ||
    !(typeof key.sealedPrivateJwk === 'string' || key.sealedPrivateJwk === null) ||
    (key.sealedPrivateJwk === null) !== (key.state === 'retired') ||
    typeof key.createdAtMs !== 'number' ||
    typeof key.changedAtMs !== 'number'
  ) {
    return undefined;
  }
  return key as unknown as StoredKey;
}

/**
 * The signer's own key store: one JSON file in a folder only the signer's user can enter,
 * rewritten whole on every change (write a temporary file, fsync it, rename it over the old
 * one, fsync the folder), so a crash at any point leaves either the old file or the new one,
 * never half of either. A change is answered only after its rename is durable. Changes run one
 * after another, each from the last committed state.
 */
export class SignerKeyStore {
  readonly #path: string;
  readonly #directory: string;
  readonly #masterKey: Uint8Array;
  readonly #nowMs: () => number;
  #keys: readonly StoredKey[];
  /** Opened private keys by handle, for the keys that still have one. */
  readonly #opened = new Map<string, SignBytes>();
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(
    directory: string,
    masterKey: Uint8Array,
    nowMs: () => number,
    keys: readonly StoredKey[],
  ) {
    this.#directory = directory;
    this.#path = join(directory, fileName);
    this.#masterKey = masterKey;
    this.#nowMs = nowMs;
    this.#keys = keys;
  }

  /**
   * Opens (or creates) the store in `directory`, which must be the signer user's own and closed
   * to everyone else, and opens every private key it holds, so a wrong master key stops the
   * signer at start rather than at its first signature.
   */
  static async open(
    directory: string,
    masterKey: Uint8Array,
    nowMs: () => number = Date.now,
  ): Promise<SignerKeyStore> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const info = await stat(directory);
    if (info.uid !== process.getuid?.() || (info.mode & 0o077) !== 0) {
      throw new SignerStartError(
        `${directory} must belong to the signer's user and be closed to others (chmod 700)`,
      );
    }
    // A temporary file left by a crash mid-write was never renamed, so never committed.
    for (const name of await readdir(directory)) {
      if (name.startsWith(`${fileName}.tmp-`)) await rm(join(directory, name), { force: true });
    }
    const keys = await readKeys(join(directory, fileName));
    const store = new SignerKeyStore(directory, masterKey, nowMs, keys);
    for (const key of keys) {
      if (key.sealedPrivateJwk === null) continue;
      let privateJwk: JWK;
      try {
        privateJwk = JSON.parse(
          openSealed(masterKey, key.sealedPrivateJwk, sealContext(key)),
        ) as JWK;
      } catch {
        throw new SignerStartError(
          'WRIT_SIGNER_MASTER_KEY does not open the stored keys (changed, or the store copied from elsewhere?)',
        );
      }
      store.#opened.set(key.handle, await openPrivateKey(key.alg, key.kid, privateJwk));
    }
    return store;
  }

  list(): readonly SignerKeySummary[] {
    return this.#keys.map(({ handle, kid, alg, state }) => ({ handle, kid, alg, state }));
  }

  /** A new key in state `next`: published by the ring, signing nothing until made active. */
  async create(alg: SigningAlgorithm): Promise<SignerKeySummary & { readonly publicJwk: JWK }> {
    const generated = await generateKey(alg);
    const handle = randomBytes(16).toString('base64url');
    const sign = await openPrivateKey(alg, generated.kid, generated.privateJwk);
    const nowMs = this.#nowMs();
    const key: StoredKey = {
      handle,
      kid: generated.kid,
      alg,
      state: 'next',
      publicJwk: generated.publicJwk,
      sealedPrivateJwk: seal(
        this.#masterKey,
        JSON.stringify(generated.privateJwk),
        sealContext({ handle, kid: generated.kid, alg }),
      ),
      createdAtMs: nowMs,
      changedAtMs: nowMs,
    };
    await this.#commit((keys) => {
      if (keys.length >= maxKeys) throw new RangeError('signer key store is full');
      return [...keys, key];
    });
    this.#opened.set(handle, sign);
    return { handle, kid: key.kid, alg, state: key.state, publicJwk: key.publicJwk };
  }

  /**
   * Records the ring's state for a key. States only move forward (a key once retiring never
   * signs again, whoever asks); on `retired` the private half is deleted from the store and
   * from memory.
   */
  async changeState(
    handle: string,
    state: SignerKeyState,
  ): Promise<'changed' | 'unknown_key' | 'state_regression'> {
    let outcome: 'changed' | 'unknown_key' | 'state_regression' = 'changed';
    await this.#commit((keys) => {
      const current = keys.find((key) => key.handle === handle);
      if (current === undefined) {
        outcome = 'unknown_key';
        return keys;
      }
      if (stateOrder[state] < stateOrder[current.state]) {
        outcome = 'state_regression';
        return keys;
      }
      if (state === current.state) return keys;
      const changed: StoredKey = {
        ...current,
        state,
        sealedPrivateJwk: state === 'retired' ? null : current.sealedPrivateJwk,
        changedAtMs: this.#nowMs(),
      };
      return keys.map((key) => (key === current ? changed : key));
    });
    if (outcome === 'changed' && state === 'retired') this.#opened.delete(handle);
    return outcome;
  }

  /** The key to sign with, only while it is `active` (read from committed state). */
  signingKey(handle: string): SigningKeyLookup {
    const key = this.#keys.find((candidate) => candidate.handle === handle);
    if (key === undefined) return { ok: false, reason: 'unknown_key' };
    const sign = this.#opened.get(handle);
    if (key.state !== 'active' || sign === undefined)
      return { ok: false, reason: 'key_not_active' };
    return { ok: true, kid: key.kid, alg: key.alg, sign };
  }

  /** Waits for changes under way; the file is complete on disk after each. */
  async close(): Promise<void> {
    await this.#writing.catch(() => {});
  }

  #commit(change: (keys: readonly StoredKey[]) => readonly StoredKey[]): Promise<void> {
    const run = this.#writing.then(async () => {
      const next = change(this.#keys);
      if (next === this.#keys) return;
      await this.#writeAtomically(next);
      this.#keys = next;
    });
    this.#writing = run.catch(() => {});
    return run;
  }

  async #writeAtomically(keys: readonly StoredKey[]): Promise<void> {
    const temporary = `${this.#path}.tmp-${randomBytes(6).toString('hex')}`;
    const content = JSON.stringify({ format: fileFormat, keys }, null, 1);
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.#path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    // The rename itself is durable only once the folder's entry is.
    const folder = await open(this.#directory, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}

async function readKeys(path: string): Promise<readonly StoredKey[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SignerStartError(`${path} is not valid JSON`);
  }
  const file = parsed as { format?: unknown; keys?: unknown };
  if (file?.format !== fileFormat || !Array.isArray(file.keys)) {
    throw new SignerStartError(`${path} is not a signer key store (${fileFormat})`);
  }
  const keys = file.keys.map(parseStoredKey);
  if (keys.some((key) => key === undefined)) {
    throw new SignerStartError(`${path} holds an entry that is not a stored key`);
  }
  return keys as StoredKey[];
}
