import type { RevocationCause, RevocationEntry } from '@writ/core';
import type { ActivityType } from '../activity/activity-record.ts';
import { recordActivity } from '../activity/record-activity.ts';
import { planRelyingPartyLogout } from '../logout/plan-relying-party-logout.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { appendRevocations } from '../revocation/append-revocations.ts';
import type { SessionsTransaction } from './sessions-context.ts';

/**
 * Revokes sessions of one user inside the caller's transaction: marks each revoked (their
 * refresh tokens die with them) — only those the user owns, decided by the update itself —,
 * appends one `sid` entry per revoked session to the revocation log, and records the activity.
 * Returns the log entries for the caller to publish once the transaction commits.
 */
export async function revokeSessions(
  tx: SessionsTransaction,
  input: {
    readonly userId: string;
    readonly sessionIds: readonly string[];
    readonly cause: RevocationCause;
    readonly activity: ActivityType;
    readonly origin: RequestOrigin;
    readonly nowMs: number;
    /** `live`: leave expired sessions as they are; `unrevoked`: revoke them too. */
    readonly which: 'live' | 'unrevoked';
    /** Also revoke every token of the user issued before now (sign out everywhere). */
    readonly allTokensOfUser?: boolean;
    /**
     * Write nothing (no activity, no log entry) when the update revoked no session: for
     * `DELETE /auth/sessions/:id`, whose unknown or foreign id must leave no trace to probe.
     */
    readonly nothingUnlessRevoked?: boolean;
  },
): Promise<{ readonly revokedIds: readonly string[]; readonly entries: RevocationEntry[] }> {
  const { nowMs } = input;
  // Back-Channel Logout, for every flow that ends sessions (docs/oauth/logout.md): the client
  // sessions opened through an ended browser session end with it, and each relying party is
  // queued a logout token in this transaction (sent after the commit by logout/'s worker).
  const relyingParties = await planRelyingPartyLogout(
    { db: tx, clock: { nowMs: () => nowMs } },
    input.userId,
    input.sessionIds,
  );
  const revokedIds = await tx.sessions.revokeOwned({
    userId: input.userId,
    sessionIds: [...input.sessionIds, ...relyingParties.alsoEnding],
    cause: input.cause,
    nowMs,
    which: input.which,
  });
  await relyingParties.queue(tx, revokedIds, nowMs);
  if (input.nothingUnlessRevoked === true && revokedIds.length === 0)
    return { revokedIds, entries: [] };
  const nowSec = Math.floor(nowMs / 1000);
  const targets = revokedIds.map((id) => ({ type: 'sid', value: id }) as const);
  await recordActivity(tx, {
    userId: input.userId,
    sessionId: input.sessionIds.length === 1 ? (input.sessionIds[0] ?? null) : null,
    type: input.activity,
    at: nowMs,
    ip: input.origin.ip,
    userAgent: input.origin.userAgent,
  });
  const entries = await appendRevocations(
    tx,
    input.allTokensOfUser === true
      ? [...targets, { type: 'sub', value: input.userId, issuedBefore: nowSec } as const]
      : targets,
    input.cause,
    nowSec,
  );
  return { revokedIds, entries };
}
