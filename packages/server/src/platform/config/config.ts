import type { SignerProcessSettings } from './signer-settings.ts';

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
  /** Which reverse proxies' `X-Forwarded-For` entries to believe; never "all of them". */
  readonly trustProxy: TrustedProxies;
  /** How long a client may take to send a whole request (headers and body). */
  readonly requestTimeoutSec: number;
  /** Connections open at once; past it, new ones are closed on arrival. */
  readonly maxConnections: number;
  /** RFC 7591 `POST /oauth/register`: off by default; when on, an initial access token is still required. */
  readonly dynamicClientRegistration: boolean;
  /** Each gets an active key; the first signs every audience `audienceAlgorithms` does not name. */
  readonly signingAlgorithms: readonly SigningAlgorithm[];
  /** `aud` → the algorithm that signs its tokens (each one of `signingAlgorithms`). */
  readonly audienceAlgorithms: ReadonlyMap<string, SigningAlgorithm>;
  /** How long a key signs before the next one takes over (scheduled rotation). */
  readonly keyRotationPeriodSec: number;
  /** Where private signing keys live (keys/open-key-custody.ts). */
  readonly keyCustody: KeyCustodyKind;
  /** How to reach the signer process: set exactly when `keyCustody` is `signer-process`. */
  readonly signerProcess: SignerProcessSettings | undefined;
}

/**
 * Algorithms the service can sign with (the keys module's `SigningAlgorithm`). RSA keys are 2048
 * bits or more; ML-DSA is experimental, never a default.
 */
export const SigningAlgorithms = [
  'EdDSA',
  'ES256',
  'PS256',
  'RS256',
  'ML-DSA-44',
  'ML-DSA-65',
] as const;
export type SigningAlgorithm = (typeof SigningAlgorithms)[number];

export type KeyCustodyKind = 'sealed' | 'signer-process';

/**
 * `none`: the socket's peer is the client. `hops`: that many proxies in front, so the client is
 * the entry that many places from the right of `X-Forwarded-For` (the ones those proxies
 * appended), never the leftmost one the client wrote. `addresses`: proxies known by address or
 * CIDR; entries are believed only while they come from one of them.
 */
export type TrustedProxies =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] };
