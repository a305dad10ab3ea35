/**
 * Limits that hold on both sides. The issuer never signs past them and the verifier refuses
 * configuration that would accept past them.
 */
export const Policy = {
  /** Longest access-token lifetime the token service will sign. */
  accessTokenMaxLifetimeSec: 15 * 60,
  /** Default access-token lifetime. */
  accessTokenDefaultLifetimeSec: 10 * 60,
  /** Clock tolerance a verifier uses unless told otherwise. */
  clockToleranceDefaultSec: 5,
  /** Largest clock tolerance a verifier may be configured with. */
  clockToleranceMaxSec: 30,
  /** Tokens longer than this are refused before any parsing. */
  maxTokenBytesDefault: 8 * 1024,
  /** Largest token-size cap a verifier may be configured with. */
  maxTokenBytesCeiling: 64 * 1024,
} as const;
