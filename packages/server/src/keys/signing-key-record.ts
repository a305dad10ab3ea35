/**
 * `next` (published, signs nothing) → `active` (signs: one per algorithm of the signing set) →
 * `retiring` (published until every token it signed has expired) → `retired` (never published;
 * its private half destroyed). Emergency rotation moves a compromised key straight to `retired`.
 * docs/keys.md#states.
 */
export type SigningKeyState = 'next' | 'active' | 'retiring' | 'retired';

/** The states whose keys are published (and whose tokens therefore verify). */
export const publishedStates: readonly SigningKeyState[] = ['next', 'active', 'retiring'];

/** A signing key as stored. Times in ms. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  readonly publicJwk: string;
  /**
   * The custody's reference to the private half (`CustodyKey.custodyRef`): for `sealed` custody
   * the private JWK sealed under the master key, the kid bound as additional data. Empty once
   * the key is retired and its custody told so. (The name is the first migration's column.)
   */
  readonly sealedPrivateJwk: string;
  /** The `KeyCustody.kind` that made the key: only that custody is asked to open it. */
  readonly custody: string;
  readonly createdAt: number;
  /** When a `next` key is due to become active (scheduled or operator rotation). */
  readonly activatesAt: number | null;
  readonly activatedAt: number | null;
  /** When a `retiring` key is due to be retired: every token it signed has expired by then. */
  readonly retiresAt: number | null;
  readonly retiredAt: number | null;
}

/**
 * A key to insert. The lifecycle's columns may be left out, as keys written before they existed
 * did: custody `sealed`, no scheduled activation or retirement.
 */
export type SigningKeyRecord = Omit<StoredSigningKey, 'custody' | 'activatesAt' | 'retiresAt'> &
  Partial<Pick<StoredSigningKey, 'custody' | 'activatesAt' | 'retiresAt'>>;
