import { TokenKind } from '@writ/core';
import type { ClientRecord } from '../clients/client-record.ts';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { hashSecret, randomSecret, randomTokenId } from '../platform/crypto/random.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { PhantomTokenRecord, PhantomTokensStores } from './phantom-tokens-store.ts';

export interface AccessTokenGrant {
  readonly client: ClientRecord;
  /** The user's id, or the client's own for client_credentials (RFC 9068 §2.2). */
  readonly subject: string;
  readonly scope: string;
  /** The resource (RFC 8707) the token is for. */
  readonly audience: string;
  /** Only when the token belongs to a session. */
  readonly sessionId: string | undefined;
  /** Binds the token to this DPoP key (`cnf.jkt`). */
  readonly dpopJkt: string | undefined;
  readonly nowMs: number;
}

export interface MintedAccessToken {
  /** What the client receives: the at+jwt, or `wat_…` for clients configured for opaque tokens. */
  readonly accessToken: string;
  /** The at+jwt itself (the same string unless opaque). */
  readonly jwt: string;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer' | 'DPoP';
}

/** The opaque access token's prefix: `wat_` + 43 base64url characters (256 bits). */
export const phantomTokenPrefix = 'wat_';

/**
 * An access token signed and not handed out yet. For a client configured for opaque tokens,
 * `phantom` is the row that must be stored before the opaque value is any use: a flow that
 * signs before its unit of work stores it in that unit (`storePhantomToken`), so a token the unit
 * did not commit for is dropped without a trace.
 */
export interface SignedAccessToken extends MintedAccessToken {
  /** The opaque token's stored half, for a client configured for opaque tokens. */
  readonly phantom: PhantomTokenRecord | undefined;
}

/**
 * Signs an RFC 9068 access token for an OAuth client, and for a client configured for opaque
 * (phantom) tokens draws its opaque value; writes nothing.
 */
export async function signClientAccessToken(
  context: { readonly config: ServiceConfig; readonly signer: Signer },
  grant: AccessTokenGrant,
): Promise<SignedAccessToken> {
  const iat = Math.floor(grant.nowMs / 1000);
  const ttl = context.config.accessTokenTtlSec;
  const jwt = await context.signer.sign({
    typ: TokenKind.access,
    claims: {
      iss: context.config.issuer,
      sub: grant.subject,
      aud: grant.audience,
      iat,
      nbf: iat,
      exp: iat + ttl,
      jti: randomTokenId(),
      client_id: grant.client.clientId,
      scope: grant.scope,
      ...(grant.sessionId === undefined ? {} : { sid: grant.sessionId }),
      ...(grant.dpopJkt === undefined ? {} : { cnf: { jkt: grant.dpopJkt } }),
    },
  });
  const tokenType = grant.dpopJkt === undefined ? 'Bearer' : 'DPoP';
  if (grant.client.accessTokenFormat !== 'opaque') {
    return { accessToken: jwt, jwt, expiresIn: ttl, tokenType, phantom: undefined };
  }
  const opaque = randomSecret(phantomTokenPrefix);
  const phantom = {
    tokenHash: hashSecret(opaque),
    accessToken: jwt,
    clientId: grant.client.clientId,
    createdAt: grant.nowMs,
    expiresAt: (iat + ttl) * 1000,
  };
  return { accessToken: opaque, jwt, expiresIn: ttl, tokenType, phantom };
}

/**
 * Stores a signed opaque token's phantom row (nothing for a JWT): in the caller's transaction
 * when given one, else in a unit of work of its own (a statement outside any transaction would
 * run with `synchronous = FULL`, its fsync on the event loop).
 */
export async function storePhantomToken(
  store: PhantomTokensStores | UnitOfWork<PhantomTokensStores>,
  signed: SignedAccessToken,
): Promise<MintedAccessToken> {
  const { phantom, ...minted } = signed;
  if (phantom !== undefined) {
    if ('transaction' in store) await store.transaction((tx) => tx.phantomTokens.insert(phantom));
    else await store.phantomTokens.insert(phantom);
  }
  return minted;
}

/**
 * Signs an RFC 9068 access token for an OAuth client. For a client configured for opaque
 * (phantom) tokens it also stores the token's hash → the JWT, so the client never sees a claim
 * and only introspection (the gateway) turns it back into the JWT: in the caller's transaction
 * when given one, else in a unit of work of its own, after the signature.
 */
export async function mintAccessToken(
  context: { readonly config: ServiceConfig; readonly signer: Signer },
  store: PhantomTokensStores | UnitOfWork<PhantomTokensStores>,
  grant: AccessTokenGrant,
): Promise<MintedAccessToken> {
  return storePhantomToken(store, await signClientAccessToken(context, grant));
}
