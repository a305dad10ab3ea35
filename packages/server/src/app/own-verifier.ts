import { createVerifier, type DpopVerifierOptions, type Verifier } from '@writ/verify';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';

export interface OwnVerifier extends Verifier {
  /**
   * The verifier over the keys published now, for HTTP adapters that must see a verifier
   * `createVerifier` built (its DPoP settings drive their challenges). Take it per request.
   */
  current(): Verifier;
}

/**
 * The service's verifier for its own access tokens, following the key ring: when the ring's
 * generation moves (a key published or activated), the next verify builds a verifier over the
 * keys published now. Built lazily on the verify path rather than on a change event, so there is
 * no listener to leak and no window in which an old verifier answers after the ring moved.
 * A rebuild drops the verified-token cache, which only costs one signature check per token.
 * `options` serve the service's own protected resources other than the first-party API
 * (userinfo/: another audience, DPoP-bound tokens with their proofs).
 */
export function createOwnVerifier(
  context: {
    readonly config: ServiceConfig;
    readonly signer: Signer;
  },
  options: { readonly audience?: string; readonly dpop?: DpopVerifierOptions } = {},
): OwnVerifier {
  const { config, signer } = context;
  let built: { readonly generation: number; readonly verifier: Verifier } | undefined;
  const current = (): Verifier => {
    const generation = signer.generation();
    if (built?.generation !== generation) {
      built = {
        generation,
        verifier: createVerifier({
          issuer: config.issuer,
          audience: options.audience ?? config.audience,
          jwks: { keys: [...signer.publicKeys()] },
          algorithms: [...signer.algorithms()],
          ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
        }),
      };
    }
    return built.verifier;
  };
  current();
  return {
    verify: (token, verifyContext) => current().verify(token, verifyContext),
    // The service is the source of truth for its sessions: no revocation mirror to report or stop.
    revocations: undefined,
    close: async () => {},
    current,
  };
}
