export type SigningKeyState = 'next' | 'active' | 'retiring' | 'retired';

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
