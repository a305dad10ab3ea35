/** The token service's configuration, validated. Times in seconds. */
export interface ServiceConfig {
  readonly mode: 'development' | 'production';
  /** Exact `iss` of every token; https outside development. */
  readonly issuer: string;
  readonly host: string;
  readonly port: number;
  /** Where the embedded database and (in development) the master key live. */
  readonly dataDir: string;
  /** `sqlite:<path>` (embedded default). */
  readonly databaseUrl: string;
  /** 32 bytes that seal private signing keys at rest. */
  readonly masterKey: Uint8Array;
  /** Where the master key came from, for the start-up banner. */
  readonly masterKeySource: 'environment' | 'development-file';
  /** `aud` of first-party access tokens. */
  readonly audience: string;
  readonly accessTokenTtlSec: number;
  readonly sessionIdleTtlSec: number;
  readonly sessionAbsoluteTtlSec: number;
  readonly cookieSameSite: 'Strict' | 'Lax';
  readonly revocationHeartbeatSec: number;
  /** Revocation streams one consumer key may hold open at once; past it, 429. */
  readonly revocationStreamsPerConsumer: number;
  /** Revocation streams open at once across all consumers; past it, 503. */
  readonly revocationStreamsTotal: number;
  /** Honour X-Forwarded-For from a reverse proxy (only behind one). */
  readonly trustProxy: boolean;
}
