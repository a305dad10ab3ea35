/**
 * The revocation log's entry format, shared by the token service (which appends) and every
 * consumer's mirror (which follows). An entry names what it revokes; it can be forgotten once
 * every token it could match has expired anyway.
 */
export type RevocationTarget =
  /** One access token. */
  | { readonly type: 'jti'; readonly value: string }
  /** Every token of one session (sessions never come back once revoked). */
  | { readonly type: 'sid'; readonly value: string }
  /** Every token of a subject issued before `issuedBefore` ("sign out everywhere", password change). */
  | { readonly type: 'sub'; readonly value: string; readonly issuedBefore: number }
  /** Every token signed by a key (emergency rotation). */
  | { readonly type: 'kid'; readonly value: string };

/**
 * Why an entry was written: one cause per path that writes entries. A cause is added with the
 * path that produces it (password change, key compromise and admin revocation arrive with their
 * features); mirrors take any cause string, so adding one never breaks a consumer.
 */
export type RevocationCause =
  | 'sign_out'
  | 'sign_out_everywhere'
  | 'session_deleted'
  | 'refresh_reuse'
  /** An operator disabled the OAuth client the session (or, as `sub`, the token) belonged to. */
  | 'client_disabled'
  /**
   * An authorization code was presented again: the session its first redemption opened ends
   * (RFC 6749 §4.1.2), since either that redemption or this one is an attacker's.
   */
  | 'authorization_code_reuse'
  /** A client revoked its own token at `POST /oauth/revoke` (RFC 7009): a `jti`, or its session's `sid`. */
  | 'token_revoked'
  /** Emergency rotation withdrew a signing key (a `kid` entry): every token it signed is refused. */
  | 'key_compromised';

export interface RevocationEntry {
  /** Position in the log: strictly increasing, never reused. Consumers resume from it. */
  readonly cursor: number;
  readonly target: RevocationTarget;
  /**
   * Why it was written: one of `RevocationCause` from this version. Mirrors carry it without
   * interpreting it (the target alone decides what is refused), so a newer service may write a
   * cause this version does not know.
   */
  readonly cause: string;
  /** When it was revoked (seconds since the epoch). */
  readonly revokedAt: number;
  /** After this (seconds) no token the entry matches can still be valid: forget it. */
  readonly forgetAfter: number;
}

const targetTypes: ReadonlySet<string> = new Set(['jti', 'sid', 'sub', 'kid']);

/** Parses an entry received from the network; anything that is not exactly an entry is refused. */
export function parseRevocationEntry(value: unknown): RevocationEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { cursor, target, cause, revokedAt, forgetAfter } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(cursor) || (cursor as number) < 1) return undefined;
  if (typeof cause !== 'string' || !Number.isFinite(revokedAt) || !Number.isFinite(forgetAfter)) {
    return undefined;
  }
  if (typeof target !== 'object' || target === null) return undefined;
  const { type, value: targetValue, issuedBefore } = target as Record<string, unknown>;
  if (typeof type !== 'string' || !targetTypes.has(type)) return undefined;
  if (typeof targetValue !== 'string' || targetValue === '') return undefined;
  if (type === 'sub' && !Number.isFinite(issuedBefore)) return undefined;
  return value as RevocationEntry;
}
