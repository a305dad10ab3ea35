import type { KeysContext } from './keys-context.ts';
import type { SigningKeyState } from './signing-key-record.ts';

/** One key as operators see it: never a private member, never its custody reference. Times in ms. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  /** `KeyCustody.kind` of the custody holding its private half ('sealed', 'signer-process'). */
  readonly custody: string;
  readonly createdAt: number;
  readonly activatesAt: number | null;
  readonly activatedAt: number | null;
  readonly retiresAt: number | null;
  readonly retiredAt: number | null;
}

/** Every key the store holds, retired ones included, oldest first. */
export async function listKeys(context: Pick<KeysContext, 'db'>): Promise<KeySummary[]> {
  const keys = await context.db.signingKeys.listAll();
  return keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    custody: key.custody,
    createdAt: key.createdAt,
    activatesAt: key.activatesAt,
    activatedAt: key.activatedAt,
    retiresAt: key.retiresAt,
    retiredAt: key.retiredAt,
  }));
}
