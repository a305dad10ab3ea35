import { TokenKind } from '@writ/core';
import type { ClientRecord } from '../clients/client-record.ts';
import type { Signer } from '../keys/signer.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { Introspection } from './introspect-token.ts';

/**
 * The signed introspection answer (RFC 9701 §5): `typ` token-introspection+jwt (no other Writ
 * token's, so it can never pass for an access token), `iss` the service, `aud` the caller's
 * client id (an answer replayed to another client is refused there), `iat`, and the RFC 7662
 * members under `token_introspection`. For an active opaque token it also carries the at+jwt the
 * gateway forwards upstream, as `writ_access_token`: only here, signed and addressed, never in
 * the plain JSON answer.
 */
export function signIntrospectionResponse(
  context: { readonly config: ServiceConfig; readonly signer: Signer; readonly clock: Clock },
  caller: ClientRecord,
  answer: Introspection,
): Promise<string> {
  const tokenIntrospection = !answer.active
    ? { active: false }
    : answer.accessTokenJwt === undefined
      ? answer.members
      : { ...answer.members, writ_access_token: answer.accessTokenJwt };
  return context.signer.sign({
    typ: TokenKind.introspectionResponse,
    claims: {
      iss: context.config.issuer,
      aud: caller.clientId,
      iat: Math.floor(context.clock.nowMs() / 1000),
      token_introspection: tokenIntrospection,
    },
  });
}
