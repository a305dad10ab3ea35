export type ApiKeyKind = 'admin' | 'consumer';

/** An admin or consumer key: only its hash is ever stored. Times in ms. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly kind: ApiKeyKind;
  readonly name: string;
  readonly keyHash: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}
