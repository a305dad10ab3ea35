import type { ClientRecord } from '../clients/client-record.ts';
import type { ClientsStores } from '../clients/clients-store.ts';
import { ClientNotLiveError, isClientLive } from '../clients/is-client-live.ts';
import type { Signer } from '../keys/signer.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import { newClientSession, writeClientSession } from '../sessions/open-client-session.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import {
  type SignedAccessToken,
  signClientAccessToken,
  storePhantomToken,
} from './mint-access-token.ts';
import type { PhantomTokensStores } from './phantom-tokens-store.ts';

/** The stores a grant's transaction must hold for `issueGrantTokens`. */
export type GrantTokensTransaction = SessionsStores &
  RefreshTokensStores &
  PhantomTokensStores &
  ClientsStores;

export interface GrantTokensInput {
  readonly client: ClientRecord;
  readonly userId: string;
  /** Space-separated scopes granted (already checked against the client's allowed ones). */
  readonly scope: string;
  /** The resource (RFC 8707), already checked against the client's audiences. */
  readonly audience: string;
  /** Thumbprint of the request's DPoP proof key: binds the access token (and a public client's refresh tokens). */
  readonly dpopJkt: string | undefined;
  readonly authTimeMs: number | null;
  readonly browserSessionId: string | null;
  /** Recorded on the session (who opened it); empty when not given. */
  readonly origin?: RequestOrigin;
}

export interface GrantTokens {
  readonly session: SessionRecord;
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken?: string;
  readonly tokenType: 'Bearer' | 'DPoP';
}

const unknownOrigin: RequestOrigin = { ip: '', userAgent: '' };

type GrantTokensContext = {
  readonly config: ServiceConfig;
  readonly signer: Signer;
  readonly clock: Clock;
};

/** A client session not yet written, and its access token, signed for it. */
export interface SignedGrantTokens {
  readonly session: SessionRecord;
  readonly accessToken: SignedAccessToken;
}

/**
 * The first half of opening a client's session: the session record (mode `oauth`, its id drawn
 * now) and its access token (JWT or opaque, per client), signed; nothing written. A public
 * client's refresh tokens are bound to the DPoP key of the request that opened the session
 * (RFC 9449 §5); a confidential client's are bound by its authentication, so they are not.
 */
export async function signGrantTokens(
  context: GrantTokensContext,
  input: GrantTokensInput,
): Promise<SignedGrantTokens> {
  const nowMs = context.clock.nowMs();
  const { client } = input;
  const session = newClientSession({
    userId: input.userId,
    grant: {
      clientId: client.clientId,
      scope: input.scope,
      audience: input.audience,
      dpopJkt: client.kind === 'public' ? (input.dpopJkt ?? null) : null,
      authTimeMs: input.authTimeMs,
      browserSessionId: input.browserSessionId,
    },
    origin: input.origin ?? unknownOrigin,
    nowMs,
    idleTtlSec: context.config.sessionIdleTtlSec,
    absoluteTtlSec: context.config.sessionAbsoluteTtlSec,
  });
  const accessToken = await signClientAccessToken(context, {
    client,
    subject: input.userId,
    scope: input.scope,
    audience: input.audience,
    sessionId: session.id,
    dpopJkt: input.dpopJkt,
    nowMs,
  });
  return { session, accessToken };
}

/**
 * The second half, in the caller's transaction: the session, its first refresh token when the
 * client may use the refresh_token grant, and an opaque access token's phantom row.
 *
 * Throws `ClientNotLiveError` (rolling the caller's transaction back) when the client was
 * disabled after it authenticated: a disable revokes the sessions that exist when it commits, so
 * one opened after it would survive. Checked here, in the same transaction as the session's
 * insert: a disable that commits later finds this session and revokes it.
 */
export async function writeGrantTokens(
  tx: GrantTokensTransaction,
  client: ClientRecord,
  signed: SignedGrantTokens,
): Promise<string | undefined> {
  if (!(await isClientLive(tx, client.clientId))) throw new ClientNotLiveError();
  const refreshToken = await writeClientSession(
    tx,
    signed.session,
    client.grantTypes.includes('refresh_token'),
  );
  await storePhantomToken(tx, signed.accessToken);
  return refreshToken;
}

/**
 * Both halves in the caller's transaction (the tests' and benchmarks' way of opening client
 * sessions in bulk); the authorization_code grant signs before its unit and writes in it.
 */
export async function issueGrantTokens(
  context: GrantTokensContext,
  tx: GrantTokensTransaction,
  input: GrantTokensInput,
): Promise<GrantTokens> {
  const signed = await signGrantTokens(context, input);
  const refreshToken = await writeGrantTokens(tx, input.client, signed);
  const { session, accessToken } = signed;
  return {
    session,
    accessToken: accessToken.accessToken,
    expiresIn: accessToken.expiresIn,
    tokenType: accessToken.tokenType,
    ...(refreshToken === undefined ? {} : { refreshToken }),
  };
}
