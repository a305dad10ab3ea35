import type { Clock } from '../platform/clock.ts';
import { forgetCachedClient } from './client-cache.ts';
import { acceptableClientJwks } from './client-jwks.ts';
import type { ClientsStores } from './clients-store.ts';

export type ReplaceClientJwksResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly problem: 'client_not_found' | 'client_has_no_jwks' | 'invalid_jwks';
    };

/**
 * Replaces a private_key_jwt client's public keys (key rotation), under the same rules as at
 * registration. To rotate without a gap, register old and new keys together (distinct kids),
 * move the client to the new key, then replace the set with the new key alone.
 */
export async function replaceClientJwks(
  context: { readonly db: ClientsStores; readonly clock: Clock },
  clientId: string,
  candidate: unknown,
): Promise<ReplaceClientJwksResult> {
  const stored = clientId.length <= 128 ? await context.db.clients.findById(clientId) : undefined;
  if (stored === undefined || stored.record.disabledAt !== null)
    return { ok: false, problem: 'client_not_found' };
  if (stored.record.authMethod !== 'private_key_jwt')
    return { ok: false, problem: 'client_has_no_jwks' };
  const jwks = await acceptableClientJwks(candidate);
  if (jwks === undefined) return { ok: false, problem: 'invalid_jwks' };
  // Forgotten before and after the write: a removed key is refused from the next request on.
  forgetCachedClient(clientId);
  const replaced = await context.db.clients.replaceJwks(clientId, jwks, context.clock.nowMs());
  forgetCachedClient(clientId);
  return replaced ? { ok: true } : { ok: false, problem: 'client_not_found' };
}
