import { randomId } from '../platform/crypto/random.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import type { SessionClientGrant, SessionRecord } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

export interface ClientSessionInput {
  readonly userId: string;
  readonly grant: SessionClientGrant;
  readonly origin: RequestOrigin;
  readonly nowMs: number;
  readonly idleTtlSec: number;
  readonly absoluteTtlSec: number;
}

/**
 * The session an OAuth client will hold (mode `oauth`), not yet written: its id is drawn here,
 * so a flow that signs before it commits (authorization_code) can put it in the token first.
 * Lifetimes are the first-party ones: the session is the same kind of thing, a refresh-token
 * family a user can see and end.
 */
export function newClientSession(input: ClientSessionInput): SessionRecord {
  const { nowMs } = input;
  return {
    id: randomId('ses'),
    userId: input.userId,
    mode: 'oauth',
    createdAt: nowMs,
    lastUsedAt: nowMs,
    idleExpiresAt: nowMs + input.idleTtlSec * 1000,
    absoluteExpiresAt: nowMs + input.absoluteTtlSec * 1000,
    revokedAt: null,
    ip: input.origin.ip,
    userAgent: input.origin.userAgent,
    client: input.grant,
  };
}

/**
 * Writes `session` (from `newClientSession`) in the caller's transaction, with the first refresh
 * token of its family when the client may refresh.
 */
export async function writeClientSession(
  tx: SessionsStores & RefreshTokensStores,
  session: SessionRecord,
  withRefreshToken: boolean,
): Promise<string | undefined> {
  await tx.sessions.create(session);
  return withRefreshToken ? issueRefreshToken(tx, session.id, session.createdAt) : undefined;
}
