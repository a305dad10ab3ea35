import { TokenKind } from '@writ/core';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { randomTokenId } from '../platform/crypto/random.ts';

/** The event a logout token carries (Back-Channel Logout 1.0 §2.4). */
export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * How long a logout token is valid. The spec recommends at most two minutes; a token is signed
 * afresh for each delivery attempt, so retries over hours never send an old one.
 */
export const logoutTokenTtlSec = 120;

/**
 * Signs a logout token (Back-Channel Logout 1.0 §2.4): `typ` logout+jwt (§2.4, RFC 8725 §3.11:
 * no other Writ verifier accepts it, and it is not an ID token, so it has no `nonce`), `aud` the
 * client, `sub` the user, `sid` the browser session its ID tokens named.
 */
export function signLogoutToken(
  context: { readonly config: ServiceConfig; readonly signer: Signer },
  input: {
    readonly clientId: string;
    readonly userId: string;
    readonly browserSessionId: string | null;
    readonly nowMs: number;
  },
): Promise<string> {
  const iat = Math.floor(input.nowMs / 1000);
  return context.signer.sign({
    typ: TokenKind.logout,
    claims: {
      iss: context.config.issuer,
      sub: input.userId,
      aud: input.clientId,
      iat,
      exp: iat + logoutTokenTtlSec,
      jti: randomTokenId(),
      ...(input.browserSessionId === null ? {} : { sid: input.browserSessionId }),
      events: { [backchannelLogoutEvent]: {} },
    },
  });
}
