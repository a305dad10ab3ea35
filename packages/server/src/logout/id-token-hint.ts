import { TokenKind } from '@writ/core';
import { compactVerify, createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';

/** What a genuine `id_token_hint` says about who is signing out, and from which relying party. */
export interface IdTokenHint {
  readonly userId: string;
  /** The ID token's audience: the client(s) it was issued to. */
  readonly clientIds: readonly string[];
  /** The browser session it named, if any. */
  readonly browserSessionId: string | undefined;
}

/** An ID token is a few hundred bytes; past this it is not one of ours. */
const maxHintLength = 8192;

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'))
    return value as string[];
  return undefined;
}

/**
 * Reads an `id_token_hint` (RP-Initiated Logout 1.0 §2): an ID token this service signed — a
 * signature by a key the ring publishes, `typ` JWT (an access or logout token is not a hint),
 * our `iss` — whose `exp` may have passed, as the spec allows: a relying party often asks for
 * logout long after the ID token expired. Anything else is `undefined`, forged and malformed
 * alike. Signed by a key the ring no longer publishes, a hint is no longer checkable and is
 * refused too.
 */
export function createIdTokenHintReader(context: {
  readonly config: ServiceConfig;
  readonly signer: Signer;
}): (hint: string) => Promise<IdTokenHint | undefined> {
  let keys: { readonly generation: number; readonly getKey: JWTVerifyGetKey } | undefined;
  const currentKeys = (): JWTVerifyGetKey => {
    const generation = context.signer.generation();
    if (keys?.generation !== generation) {
      keys = { generation, getKey: createLocalJWKSet({ keys: [...context.signer.publicKeys()] }) };
    }
    return keys.getKey;
  };

  return async (hint) => {
    if (hint.length > maxHintLength) return undefined;
    let verified: Awaited<ReturnType<typeof compactVerify>>;
    try {
      verified = await compactVerify(hint, currentKeys(), {
        algorithms: [...context.signer.algorithms()],
      });
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
    if (verified.protectedHeader.typ !== TokenKind.idToken) return undefined;
    let claims: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(verified.payload));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      claims = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const clientIds = stringList(claims.aud);
    if (
      claims.iss !== context.config.issuer ||
      typeof claims.sub !== 'string' ||
      clientIds === undefined ||
      (claims.sid !== undefined && typeof claims.sid !== 'string')
    ) {
      return undefined;
    }
    return {
      userId: claims.sub,
      clientIds,
      browserSessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
    };
  };
}
