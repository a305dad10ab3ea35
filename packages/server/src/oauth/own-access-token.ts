import type { AccessTokenClaims, JoseHeader } from '@writ/core';
import { TokenKind } from '@writ/core';
import { createLocalJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';

export interface OwnAccessToken {
  readonly claims: AccessTokenClaims;
  readonly header: JoseHeader;
}

/** Tokens longer than this are not ours: refused before any parsing. */
const maxTokenLength = 8192;

/**
 * Reads an access token this service signed, whatever its audience (introspection and revocation
 * answer for every resource): signature by a published key of the ring, `typ` at+jwt, `iss` ours,
 * not expired, not before its time, and the claims every Writ access token has. Anything else is
 * `undefined`: to a caller an unknown token and a forged one look alike.
 */
export function createOwnAccessTokenReader(context: {
  readonly config: ServiceConfig;
  readonly signer: Signer;
}): (token: string, nowMs: number) => Promise<OwnAccessToken | undefined> {
  let keys: { readonly generation: number; readonly getKey: JWTVerifyGetKey } | undefined;
  const currentKeys = (): JWTVerifyGetKey => {
    const generation = context.signer.generation();
    if (keys?.generation !== generation) {
      keys = {
        generation,
        getKey: createLocalJWKSet({ keys: [...context.signer.publicKeys()] }),
      };
    }
    return keys.getKey;
  };

  return async (token, nowMs) => {
    if (token.length > maxTokenLength) return undefined;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, currentKeys(), {
        issuer: context.config.issuer,
        typ: TokenKind.access,
        algorithms: [...context.signer.algorithms()],
        currentDate: new Date(nowMs),
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'aud'],
      });
      return {
        claims: payload as unknown as AccessTokenClaims,
        header: protectedHeader as unknown as JoseHeader,
      };
    } catch (error) {
      // Every refusal (malformed, forged, expired, another issuer's, another kind) is "not an
      // active token of ours", which is all introspection and revocation may say. Anything
      // else is a fault of ours and is not hidden.
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  };
}
