/**
 * 32 random bytes have about 30 distinct values; fewer than 16 happens by chance with
 * probability far below 2^-100, so a key like that was typed or zero-filled, not generated.
 */
const minDistinctKeyBytes = 16;

/**
 * A 32-byte key given as base64url (the master key, the signer's master key): the bytes, and
 * what is wrong with them if anything (short, not canonical base64url, or visibly not random).
 */
export function randomKeyFrom(
  raw: string,
  name: string,
): { readonly key: Buffer; readonly problem: string | undefined } {
  const key = Buffer.from(raw, 'base64url');
  if (key.length !== 32 || key.toString('base64url') !== raw.replace(/=+$/, '')) {
    return { key, problem: `${name} must be 32 random bytes in base64url (try: writ master-key)` };
  }
  if (new Set(key).size < minDistinctKeyBytes) {
    return {
      key,
      problem: `${name} looks made up, not random (too few distinct bytes): generate one with writ master-key`,
    };
  }
  return { key, problem: undefined };
}
