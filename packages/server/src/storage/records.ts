import type { RevocationCause, RevocationEntry, RevocationTarget } from '@writ/core';

/** Plain records the service works with; storage maps them to and from rows. Times in ms. */
export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

export type SessionMode = 'body' | 'cookie';

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly mode: SessionMode;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly revokedAt: number | null;
  readonly ip: string;
  readonly userAgent: string;
}

export type SigningKeyState = 'next' | 'active' | 'retiring' | 'retired';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  readonly publicJwk: string;
  readonly sealedPrivateJwk: string;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiredAt: number | null;
}

/** What to append; the log assigns the cursor. */
export interface NewRevocation {
  readonly target: RevocationTarget;
  readonly cause: RevocationCause;
  readonly revokedAt: number;
  readonly forgetAfter: number;
}

export type ActivityType =
  | 'sign_in'
  | 'sign_in_failed'
  | 'refresh'
  | 'refresh_reuse'
  | 'sign_out'
  | 'sign_out_everywhere'
  | 'session_revoked';

export interface ActivityRecord {
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: ActivityType;
  readonly at: number;
  readonly ip: string;
  readonly userAgent: string;
}

export type ApiKeyKind = 'admin' | 'consumer';

export interface ApiKeyRecord {
  readonly id: string;
  readonly kind: ApiKeyKind;
  readonly name: string;
  readonly keyHash: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface ThrottleRecord {
  readonly key: string;
  readonly failures: number;
  readonly blockedUntil: number;
  readonly updatedAt: number;
}

/** The outcome of presenting a refresh token: the compare-and-swap at the heart of rotation. */
export type RefreshConsumption =
  | { readonly status: 'rotated'; readonly sessionId: string }
  | { readonly status: 'reused'; readonly sessionId: string }
  | { readonly status: 'unknown' };

export type { RevocationEntry };
