import type { JSONWebKeySet } from 'jose';
import type { ClientRecord } from './client-record.ts';
import type { RegistrationTokenRecord, StoredClient } from './stored-client.ts';

export interface ClientsStore {
  create(client: StoredClient): Promise<void>;
  /** The client with that id, disabled or not. */
  findById(clientId: string): Promise<StoredClient | undefined>;
  /**
   * The client with that id, disabled or not, read by one statement that yields one full row
   * whether or not the client exists (a decoy row otherwise, parsed like a real one and then
   * dropped), so authentication costs the same for unknown ids as for registered ones.
   */
  findForAuthentication(clientId: string): Promise<StoredClient | undefined>;
  /** Every client, oldest first (records only: no hashes, no keys). */
  list(): Promise<ClientRecord[]>;
  /** Disables a live client; false when there is none with that id or it is already disabled. */
  disable(clientId: string, nowMs: number): Promise<boolean>;
  /**
   * Replaces the secret of a live client that has one; the replaced secret stays valid until
   * `previousSecretExpiresAt` (null: at once). False when no live client with a secret has that id.
   */
  replaceSecret(
    clientId: string,
    secretHash: string,
    previousSecretExpiresAt: number | null,
    nowMs: number,
  ): Promise<boolean>;
  /** Replaces the public keys of a live private_key_jwt client; false when there is none with that id. */
  replaceJwks(clientId: string, jwks: JSONWebKeySet, nowMs: number): Promise<boolean>;
  /**
   * Records an accepted assertion's jti until its expiry; false when the client already
   * presented this jti and it has not expired yet (a replay). One insert, so of two racing uses
   * of one assertion exactly one wins. Expired jtis go in housekeeping (`pruneExpiredAssertions`).
   */
  recordAssertion(
    clientId: string,
    jti: string,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<boolean>;
  /** Deletes up to `limit` recorded jtis that expired at `nowMs`; returns how many went. */
  pruneExpiredAssertions(nowMs: number, limit: number): Promise<number>;
}

export interface RegistrationTokensStore {
  create(token: RegistrationTokenRecord): Promise<void>;
  /**
   * Marks the unused, unexpired token with that hash as used by `clientId` and returns it;
   * undefined when there is none. One conditional update, so a token registers one client.
   */
  consume(
    tokenHash: string,
    clientId: string,
    nowMs: number,
  ): Promise<RegistrationTokenRecord | undefined>;
  /** The unused, unexpired token with that hash (a read, to validate before consuming). */
  findUsable(tokenHash: string, nowMs: number): Promise<RegistrationTokenRecord | undefined>;
}

export interface ClientsStores {
  readonly clients: ClientsStore;
  readonly registrationTokens: RegistrationTokensStore;
}
