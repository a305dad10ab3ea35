import type { CustodyKey, CustodyKeyReference, SigningAlgorithm } from './key-custody.ts';
import type { SigningKeyRecord, StoredSigningKey } from './signing-key-record.ts';

/** A key a custody just made, as the ring stores it: `next` (due at `activatesAt`) or `active` now. */
export function custodyKeyRecord(
  key: CustodyKey,
  custody: string,
  when: { readonly nowMs: number; readonly activatesAt?: number },
): SigningKeyRecord {
  const active = when.activatesAt === undefined;
  return {
    kid: key.kid,
    alg: key.alg,
    state: active ? 'active' : 'next',
    publicJwk: JSON.stringify(key.publicJwk),
    sealedPrivateJwk: key.custodyRef,
    custody,
    createdAt: when.nowMs,
    activatesAt: when.activatesAt ?? null,
    activatedAt: active ? when.nowMs : null,
    retiresAt: null,
    retiredAt: null,
  };
}

/** How a custody is asked about a stored key (the ring checks the algorithm before). */
export function custodyReference(
  key: Pick<StoredSigningKey, 'kid' | 'sealedPrivateJwk'> & { readonly alg: string },
): CustodyKeyReference {
  return { kid: key.kid, alg: key.alg as SigningAlgorithm, custodyRef: key.sealedPrivateJwk };
}
