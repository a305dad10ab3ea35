import type { JSONWebKeySet } from 'jose';
import type { ClientRecord } from './client-record.ts';

/**
 * A client as the clients module stores it: the record every module sees, plus what only
 * authenticateClient reads (secret hashes, the public JWKS). Times in ms.
 */
export interface StoredClient {
  readonly record: ClientRecord;
  /** SHA-256 of the current secret; null for private_key_jwt and public clients. */
  readonly secretHash: string | null;
  /** The secret a rotation replaced, still accepted until `previousSecretExpiresAt`. */
  readonly previousSecretHash: string | null;
  readonly previousSecretExpiresAt: number | null;
  /** Public keys of a private_key_jwt client. */
  readonly jwks: JSONWebKeySet | null;
  readonly registeredBy: 'admin' | 'dynamic';
  readonly updatedAt: number;
}

/** What an admin allowed the holder of an initial access token to register (RFC 7591 §3). */
export interface RegistrationTokenRecord {
  readonly tokenHash: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes: readonly ClientRecord['grantTypes'][number][];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
  readonly clientId: string | null;
}
