/**
 * `next` (published, not signing) → `active` (signing) → `retiring` (published until its tokens
 * expire), each produced by the keys module (publish-next-key, activate-key). The last step,
 * `retired`, is added with the key lifecycle that produces it (the column `retired_at` exists
 * since the first migration and stays null until then).
 */
export type SigningKeyState = 'next' | 'active' | 'retiring';

/** A signing key as stored: the private half sealed under the master key. Times in ms. */
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
