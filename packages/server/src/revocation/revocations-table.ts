import type { Generated } from 'kysely';

export interface RevocationsTables {
  revocations: RevocationsTable;
}

/** Times here are seconds, as on the wire. */
export interface RevocationsTable {
  cursor: Generated<number>;
  target_type: 'jti' | 'sid' | 'sub' | 'kid';
  target_value: string;
  issued_before: number | null;
  cause: string;
  revoked_at: number;
  forget_after: number;
}
