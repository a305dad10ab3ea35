import type { RevocationEntry } from '@writ/core';
import type { Clock } from '../platform/clock.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { appendRevocations } from '../revocation/append-revocations.ts';
import { newRevocations } from '../revocation/revocation-policy.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionsTransaction } from './sessions-context.ts';

/** Sessions revoked per read, so one transaction never holds an unbounded list. */
const batchSize = 500;

/**
 * Ends everything an OAuth client holds, in the caller's transaction (the clients module disabling
 * it): every session of the client is revoked (its refresh tokens die, a `sid` entry ends its
 * access tokens at every mirror), and a `sub` entry for the client's own id ends the
 * `client_credentials` tokens it was issued before now (their `sub` is the client id, RFC 9068
 * §2.2). Returns the log entries for the caller to publish once the transaction commits.
 *
 * `staleIssuance` pushes that entry's cut-off `ms` past the moment it is written (read from
 * `clock` then, after the sessions: as close to the commit as the transaction sees), and keeps
 * the entry that much longer: for tokens another instance may still issue from what it read
 * before this commit (the clients module's cache, disable-client.ts).
 */
export async function revokeClientSessions(
  tx: SessionsTransaction,
  input: {
    readonly clientId: string;
    readonly origin: RequestOrigin;
    readonly nowMs: number;
    readonly staleIssuance?: { readonly clock: Clock; readonly ms: number };
  },
): Promise<{ readonly revokedIds: readonly string[]; readonly entries: RevocationEntry[] }> {
  const revokedIds: string[] = [];
  const entries: RevocationEntry[] = [];
  for (;;) {
    const held = await tx.sessions.listUnrevokedOfClient(input.clientId, batchSize);
    if (held.length === 0) break;
    const byUser = new Map<string, string[]>();
    for (const session of held) {
      byUser.set(session.userId, [...(byUser.get(session.userId) ?? []), session.id]);
    }
    let progress = 0;
    for (const [userId, sessionIds] of byUser) {
      const revoked = await revokeSessions(tx, {
        userId,
        sessionIds,
        cause: 'client_disabled',
        activity: 'session_revoked',
        origin: input.origin,
        nowMs: input.nowMs,
        which: 'unrevoked',
      });
      progress += revoked.revokedIds.length;
      revokedIds.push(...revoked.revokedIds);
      entries.push(...revoked.entries);
    }
    if (held.length < batchSize || progress === 0) break;
  }
  // The cut-off second counts too (`iat` below the next second): a disabled client cannot be
  // issued another token, so nothing legitimate issued later in this second is caught by it.
  const stale = input.staleIssuance;
  if (stale === undefined) {
    entries.push(
      ...(await appendRevocations(
        tx,
        [{ type: 'sub', value: input.clientId, issuedBefore: Math.floor(input.nowMs / 1000) + 1 }],
        'client_disabled',
        Math.floor(input.nowMs / 1000),
      )),
    );
  } else {
    const nowSec = Math.floor(stale.clock.nowMs() / 1000);
    const coverSec = Math.ceil(stale.ms / 1000);
    const target = {
      type: 'sub',
      value: input.clientId,
      issuedBefore: nowSec + 1 + coverSec,
    } as const;
    const [entry] = newRevocations([target], 'client_disabled', nowSec);
    if (entry !== undefined) {
      entries.push(
        ...(await tx.revocations.append([
          { ...entry, forgetAfter: entry.forgetAfter + 1 + coverSec },
        ])),
      );
    }
  }
  return { revokedIds, entries };
}
