import { generateSigningKey } from './generate-signing-key.ts';
import type { KeysContext } from './keys-context.ts';

/**
 * Adds a key in state `next`: published in the JWKS at once, signing nothing yet, so consumers
 * have fetched it before the first token it signs reaches them. Returns its kid.
 */
export async function publishNextKey(context: KeysContext): Promise<string> {
  const key = await generateSigningKey(context.config.masterKey, 'next', context.clock.nowMs());
  await context.db.signingKeys.insert(key);
  await context.keyRing.reload(context.db);
  return key.kid;
}
