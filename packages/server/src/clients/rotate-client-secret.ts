import type { Clock } from '../platform/clock.ts';
import { forgetCachedClient } from './client-cache.ts';
import { generateClientSecret, hashClientSecret } from './client-secret.ts';
import type { ClientsStores } from './clients-store.ts';

/** A rotation may keep the replaced secret working this long at most, for a rolling deploy. */
export const maxSecretGracePeriodSec = 24 * 3600;

export type RotateClientSecretResult =
  | { readonly ok: true; readonly clientSecret: string }
  | { readonly ok: false; readonly problem: 'client_not_found' | 'client_has_no_secret' };

/**
 * Gives a live secret-based client a new generated secret, returned once. The old one stops
 * working at once (the default: a leaked secret is dead the moment it is rotated) or, when asked,
 * after `gracePeriodSec` so instances can be redeployed with the new one first.
 */
export async function rotateClientSecret(
  context: { readonly db: ClientsStores; readonly clock: Clock },
  clientId: string,
  gracePeriodSec: number,
): Promise<RotateClientSecretResult> {
  const stored = clientId.length <= 128 ? await context.db.clients.findById(clientId) : undefined;
  if (stored === undefined || stored.record.disabledAt !== null)
    return { ok: false, problem: 'client_not_found' };
  if (stored.secretHash === null) return { ok: false, problem: 'client_has_no_secret' };
  const nowMs = context.clock.nowMs();
  const clientSecret = generateClientSecret();
  // Forgotten before and after the write: the old secret is refused from the next request on.
  forgetCachedClient(clientId);
  const replaced = await context.db.clients.replaceSecret(
    clientId,
    hashClientSecret(clientSecret),
    gracePeriodSec > 0 ? nowMs + gracePeriodSec * 1000 : null,
    nowMs,
  );
  forgetCachedClient(clientId);
  return replaced ? { ok: true, clientSecret } : { ok: false, problem: 'client_not_found' };
}
