export type SessionMode = 'body' | 'cookie';

/** A signed-in session (a refresh-token family). Times in ms. */
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

export function isLive(session: SessionRecord, nowMs: number): boolean {
  return (
    session.revokedAt === null && session.idleExpiresAt > nowMs && session.absoluteExpiresAt > nowMs
  );
}
