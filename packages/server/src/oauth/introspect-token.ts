import type { AccessTokenClaims } from '@writ/core';
import type { ClientRecord } from '../clients/client-record.ts';
import { findClient } from '../clients/find-client.ts';
import { hashSecret } from '../platform/crypto/random.ts';
import { findRefreshToken } from '../refresh-tokens/find-refresh-token.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import { firstPartyClientId } from '../sessions/issue-tokens.ts';
import { phantomTokenPrefix } from './mint-access-token.ts';
import type { OAuthContext } from './oauth-context.ts';
import type { OwnAccessToken } from './own-access-token.ts';
import type { RevocationView } from './revocation-view.ts';

/** RFC 7662 §2.2 members of an active token's answer (plus `sid`, `cnf`). */
export interface ActiveIntrospection {
  readonly active: true;
  readonly token_type: 'Bearer' | 'DPoP' | 'refresh_token';
  readonly client_id: string;
  readonly sub: string;
  readonly scope: string;
  readonly aud?: string | readonly string[];
  readonly iss: string;
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly sid?: string;
  readonly cnf?: { readonly jkt: string };
}

export type Introspection =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly members: ActiveIntrospection;
      /** For an opaque (phantom) access token: the at+jwt it stands for. */
      readonly accessTokenJwt?: string;
    };

export interface IntrospectionTools {
  readonly readAccessToken: (token: string, nowMs: number) => Promise<OwnAccessToken | undefined>;
  readonly revocations: RevocationView;
}

const inactive: Introspection = { active: false };

/**
 * Who may learn what (docs/oauth/introspection.md). Only confidential clients introspect. An
 * access token: when its audience is among the caller's (the caller is, or fronts, that
 * resource: a gateway exchanging phantom tokens, an API asking about revocation), or when it is
 * a JWT the caller was issued itself (it can read those claims anyway; an opaque token's claims
 * are kept from the client it was issued to, which is what phantom tokens are for). A refresh
 * token: only the client holding it. The client an opaque token was issued to never gets an
 * answer for it, whatever its audiences. Every other case is `{ active: false }`, the answer an
 * unknown token gets, so no caller learns that a token it may not see exists.
 */
export function mayIntrospectAccessToken(
  caller: ClientRecord,
  claims: AccessTokenClaims,
  opaque: boolean,
): boolean {
  if (caller.kind !== 'confidential') return false;
  if (claims.client_id === caller.clientId) return !opaque;
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  return audiences.some((audience) => caller.audiences.includes(audience));
}

/**
 * RFC 7662 introspection of any token this service issued: access tokens (JWT or opaque) are
 * active while their signature, times and the revocation log (jti, sid, kid, subject-before) all
 * allow them; refresh tokens while unused and their session is live.
 */
export async function introspectToken(
  context: OAuthContext,
  tools: IntrospectionTools,
  caller: ClientRecord,
  token: string,
  hint: string | undefined,
): Promise<Introspection> {
  const nowMs = context.clock.nowMs();
  // The hint only picks the first lookup (RFC 7662 §2.1); a wrong hint still finds the token.
  if (hint === 'refresh_token') {
    return (
      (await introspectRefreshToken(context, caller, token)) ??
      (await introspectAccessToken(context, tools, caller, token, nowMs)) ??
      inactive
    );
  }
  return (
    (await introspectAccessToken(context, tools, caller, token, nowMs)) ??
    (await introspectRefreshToken(context, caller, token)) ??
    inactive
  );
}

/** `undefined`: not an access token of ours; `inactive`: ours, but not active for this caller. */
async function introspectAccessToken(
  context: OAuthContext,
  tools: IntrospectionTools,
  caller: ClientRecord,
  token: string,
  nowMs: number,
): Promise<Introspection | undefined> {
  let jwt = token;
  let opaque = false;
  if (token.startsWith(phantomTokenPrefix)) {
    const stored = await context.db.phantomTokens.findLive(hashSecret(token), nowMs);
    if (stored === undefined) return undefined;
    jwt = stored.accessToken;
    opaque = true;
  }
  const read = await tools.readAccessToken(jwt, nowMs);
  if (read === undefined) return undefined;
  const { claims, header } = read;
  if (!mayIntrospectAccessToken(caller, claims, opaque)) return inactive;
  if (await tools.revocations.isRevoked(claims, header)) return inactive;
  // A disabled client's tokens are as good as revoked. First-party tokens name no registered client.
  const clientId = claims.client_id;
  if (clientId !== firstPartyClientId) {
    if (clientId === undefined || (await findClient(context, clientId)) === undefined) {
      return inactive;
    }
  }
  const jkt = claims.cnf?.jkt;
  const members: ActiveIntrospection = {
    active: true,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    client_id: claims.client_id ?? '',
    sub: claims.sub,
    scope: claims.scope ?? '',
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    ...(claims.nbf === undefined ? {} : { nbf: claims.nbf }),
    jti: claims.jti,
    ...(claims.sid === undefined ? {} : { sid: claims.sid }),
    ...(jkt === undefined ? {} : { cnf: { jkt } }),
  };
  return opaque ? { active: true, members, accessTokenJwt: jwt } : { active: true, members };
}

/** Only the client holding a refresh token may introspect it; first-party ones never are. */
async function introspectRefreshToken(
  context: OAuthContext,
  caller: ClientRecord,
  token: string,
): Promise<Introspection | undefined> {
  if (token.length > 256) return undefined;
  const stored = await findRefreshToken(context.db, token);
  if (stored === undefined) return undefined;
  if (stored.usedAt !== null) return inactive;
  const session = await findLiveSession(context, stored.sessionId);
  const grant = session?.client;
  if (
    caller.kind !== 'confidential' ||
    session === undefined ||
    grant === undefined ||
    grant.clientId !== caller.clientId
  ) {
    return inactive;
  }
  return {
    active: true,
    members: {
      active: true,
      token_type: 'refresh_token',
      client_id: grant.clientId,
      sub: session.userId,
      scope: grant.scope,
      iss: context.config.issuer,
      exp: Math.floor(Math.min(session.idleExpiresAt, session.absoluteExpiresAt) / 1000),
      sid: session.id,
    },
  };
}
