import type { RevocationLogStores } from './revocation-log-store.ts';

/** The newest cursor of the log (0 when empty); readiness asks it to prove the database answers. */
export function revocationLogHead(db: RevocationLogStores): Promise<number> {
  return db.revocations.head();
}
