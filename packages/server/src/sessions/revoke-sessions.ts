import type { RevocationCause, RevocationEntry } from '@writ/core';
import { newRevocations } from '../revocation/revocation-policy.ts';
import type { RequestOrigin, ServiceContext } from '../service-context.ts';
import type { ActivityType } from '../storage/records.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Revokes sessions inside the caller's transaction: marks each revoked (their refresh tokens
 * die with them), appends one `sid` entry per session to the revocation log, and records the
 * activity. Returns the log entries for the caller to publish once the transaction commits.
 */
export async function revokeSessions(
  context: ServiceContext,
  storage: Storage,
  input: {
    readonly userId: string;
    readonly sessionIds: readonly string[];
    readonly cause: RevocationCause;
    readonly activity: ActivityType;
    readonly origin: RequestOrigin;
    /** Also revoke every token of the user issued before now (sign out everywhere). */
    readonly allTokensOfUser?: boolean;
  },
): Promise<RevocationEntry[]> {
  const now = context.now();
  const revoked: string[] = [];
  for (const id of input.sessionIds) {
    if (await storage.revokeSession(id, input.cause, now)) revoked.push(id);
  }
  const nowSec = Math.floor(now / 1000);
  const targets = revoked.map((id) => ({ type: 'sid', value: id }) as const);
  const entries = newRevocations(
    input.allTokensOfUser === true
      ? [...targets, { type: 'sub', value: input.userId, issuedBefore: nowSec } as const]
      : targets,
    input.cause,
    nowSec,
  );
  await storage.recordActivity({
    userId: input.userId,
    sessionId: input.sessionIds.length === 1 ? (input.sessionIds[0] ?? null) : null,
    type: input.activity,
    at: now,
    ip: input.origin.ip,
    userAgent: input.origin.userAgent,
  });
  return storage.appendRevocations(entries);
}
