import { TokenKind } from '@writ/core';
import { WritClientError } from '../errors.ts';
import { base64url, base64urlJson, sha256Base64url } from './base64url.ts';
import { type DpopAlgorithm, jwkThumbprint, publicJwkOf, signWith } from './dpop-key.ts';
import { type DpopKeyStorage, deleteDpopKeyPair, loadDpopKeyPair } from './key-storage.ts';

/** The request a proof is for. */
export interface DpopProofRequest {
  readonly method: string;
  /** The request's URL; query and fragment are left out of `htu`. */
  readonly url: string | URL;
  /** The access token the request carries: the proof gets its hash (`ath`). */
  readonly accessToken?: string;
  /** The server's nonce; by default the last one this prover was given for that origin. */
  readonly nonce?: string;
}

/** Signs DPoP proofs (RFC 9449) with a key no script can read. */
export interface DpopProver {
  readonly algorithm: DpopAlgorithm;
  /** The public key, as every proof carries it. */
  readonly publicJwk: JsonWebKey;
  /** RFC 7638 thumbprint of the key: `cnf.jkt` of every token bound to it. */
  readonly thumbprint: string;
  /** A fresh proof (new `jti`, `iat` now) for one request. */
  proof(request: DpopProofRequest): Promise<string>;
  /**
   * Remembers the `DPoP-Nonce` a response carries for its origin, and says whether the response
   * asks for a proof with that nonce (`use_dpop_nonce`, from a token endpoint's 400 or a resource
   * server's 401), so the request should be signed again and retried once.
   */
  takeNonce(url: string | URL, response: Response): Promise<boolean>;
  /** Deletes the key, where it is stored too: tokens bound to it become useless. */
  forget(): Promise<void>;
}

export interface DpopProverOptions {
  /** Which key: one per name (the client uses its issuer). Default `'default'`. */
  readonly name?: string;
  /** `indexeddb` (browsers: the key survives reloads) or `memory`. Default: IndexedDB where there is one. */
  readonly storage?: DpopKeyStorage;
}

/** `htu`: the URL without query and fragment (RFC 9449 §4.2). */
function htuOf(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function randomJti(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** Whether a response refuses a proof for want of the server's nonce (RFC 9449 §8, §9). */
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status === 401) {
    return /(^|[\s,])DPoP\b[\s\S]*error="use_dpop_nonce"/i.test(
      response.headers.get('www-authenticate') ?? '',
    );
  }
  if (response.status !== 400) return false;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined); // not JSON: not a token endpoint's error
  return (body as { error?: unknown } | undefined)?.error === 'use_dpop_nonce';
}

/** A nonce is an opaque token68-ish value; anything else is not put into a proof. */
const nonceShape = /^[\x21-\x7e]{1,256}$/;
const maxRememberedNonces = 64;

/**
 * Loads (or creates, the first time) the key named `options.name` and returns a prover for it.
 * In a browser the key lives in IndexedDB, non-extractable, and is the same after a reload; in
 * Node it lives in memory for the life of the process.
 */
export async function createDpopProver(options: DpopProverOptions = {}): Promise<DpopProver> {
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new WritClientError('invalid_configuration', { problem: 'dpop name must be a string' });
  }
  const storage = options.storage ?? (typeof indexedDB === 'undefined' ? 'memory' : 'indexeddb');
  if (storage !== 'indexeddb' && storage !== 'memory') {
    throw new WritClientError('invalid_configuration', {
      problem: 'dpop storage must be "indexeddb" or "memory"',
    });
  }
  const pair = await loadDpopKeyPair(name, storage);
  const publicJwk = await publicJwkOf(pair);
  const thumbprint = await jwkThumbprint(publicJwk);
  const header = base64urlJson({ typ: TokenKind.dpopProof, alg: pair.algorithm, jwk: publicJwk });
  const nonces = new Map<string, string>();
  const encoder = new TextEncoder();

  return Object.freeze({
    algorithm: pair.algorithm,
    publicJwk,
    thumbprint,
    async proof(request: DpopProofRequest) {
      const origin = new URL(request.url).origin;
      const nonce = request.nonce ?? nonces.get(origin);
      const claims = {
        jti: randomJti(),
        htm: request.method.toUpperCase(),
        htu: htuOf(request.url),
        iat: Math.floor(Date.now() / 1000),
        ...(request.accessToken === undefined
          ? {}
          : { ath: await sha256Base64url(request.accessToken) }),
        ...(nonce === undefined ? {} : { nonce }),
      };
      const input = `${header}.${base64urlJson(claims)}`;
      return `${input}.${base64url(await signWith(pair, encoder.encode(input)))}`;
    },
    async takeNonce(url: string | URL, response: Response) {
      const nonce = response.headers.get('dpop-nonce');
      if (nonce === null || !nonceShape.test(nonce)) return false;
      const origin = new URL(url).origin;
      // Bounded: a prover used against many origins keeps the latest few.
      if (!nonces.has(origin) && nonces.size >= maxRememberedNonces) {
        const oldest = nonces.keys().next().value;
        if (oldest !== undefined) nonces.delete(oldest);
      }
      nonces.set(origin, nonce);
      return asksForNonce(response);
    },
    forget: () => deleteDpopKeyPair(name, storage),
  });
}
