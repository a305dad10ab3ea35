import { calculateJwkThumbprint, type JWK } from 'jose';
import type {
  CustodyKey,
  CustodyKeyReference,
  KeyCustody,
  KeyHandle,
  SigningAlgorithm,
} from '../key-custody.ts';
import type { SigningKeyState } from '../signing-key-record.ts';
import type { Frame } from './frames.ts';
import { SignerClient, type SignerClientOptions } from './signer-client.ts';
import { type SignerRefusal, SignerRefusedError, SignerUnavailableError } from './signer-errors.ts';
import type { SignerKeySummary } from './signer-key-store.ts';

export const signerProcessCustodyKind = 'signer-process';

/** JWK members that carry private key material (RFC 7518 §6, RFC 8037, draft-ietf-cose-dilithium). */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

const refusals: ReadonlySet<string> = new Set<SignerRefusal>([
  'unknown_key',
  'key_not_active',
  'state_regression',
  'unsupported_algorithm',
  'header_mismatch',
  'bad_request',
  'busy',
  'internal',
]);

function answered(frame: Frame): Frame {
  if (frame.header.ok === true) return frame;
  const reason = frame.header.error;
  // Too many requests in flight on the connection: temporary, like a signer that is slow.
  if (reason === 'busy') throw new SignerUnavailableError('the signer is busy');
  throw new SignerRefusedError(
    typeof reason === 'string' && refusals.has(reason) ? (reason as SignerRefusal) : 'internal',
  );
}

export interface SignerProcessCustody extends KeyCustody {
  /** What the signer holds, for diagnostics: handles, kids, algorithms and states. */
  listKeys(): Promise<readonly SignerKeySummary[]>;
}

/**
 * Key custody in the signer process (`writ signer`): the service holds only each key's handle
 * and public half; the signer makes the keys, signs, and enforces the ring's states. A signer
 * that cannot be reached in time fails the call with `SignerUnavailableError` (never a hang);
 * one that says no, with `SignerRefusedError`.
 */
export function createSignerProcessCustody(options: SignerClientOptions): SignerProcessCustody {
  const client = new SignerClient(options);
  return {
    kind: signerProcessCustodyKind,

    async create(alg: SigningAlgorithm): Promise<CustodyKey> {
      const { header } = answered(await client.call({ op: 'create', alg }, undefined, false));
      const { handle, kid, publicJwk } = header;
      if (
        typeof handle !== 'string' ||
        typeof kid !== 'string' ||
        header.alg !== alg ||
        typeof publicJwk !== 'object' ||
        publicJwk === null
      ) {
        throw new SignerUnavailableError('the signer answered create with something else');
      }
      const jwk = publicJwk as JWK;
      // Never publish what a confused (or hostile) signer might hand back as a "public" key.
      if (privateMembers.some((member) => member in jwk)) {
        throw new SignerUnavailableError('the signer returned private key material');
      }
      // RFC 7638 hashes only the key type's required members (for AKP, `alg` is one of them).
      if ((await calculateJwkThumbprint(jwk)) !== kid || jwk.kid !== kid || jwk.alg !== alg) {
        throw new SignerUnavailableError(
          'the signer returned a kid that is not the key thumbprint',
        );
      }
      return { kid, alg, publicJwk: { ...jwk, kid, alg, use: 'sig' }, custodyRef: handle };
    },

    async open(key: CustodyKeyReference): Promise<KeyHandle> {
      // No round trip: a signer down while the ring loads delays only signatures, not the start.
      return {
        kid: key.kid,
        alg: key.alg,
        async sign(signingInput: Uint8Array): Promise<Uint8Array> {
          const frame = answered(
            await client.call({ op: 'sign', handle: key.custodyRef }, signingInput, true),
          );
          return new Uint8Array(frame.body);
        },
      };
    },

    async stateChanged(key: CustodyKeyReference, state: SigningKeyState): Promise<void> {
      answered(await client.call({ op: 'state', handle: key.custodyRef, state }, undefined, true));
    },

    async listKeys(): Promise<readonly SignerKeySummary[]> {
      const { header } = answered(await client.call({ op: 'list' }, undefined, true));
      return Array.isArray(header.keys) ? (header.keys as SignerKeySummary[]) : [];
    },

    async close(): Promise<void> {
      client.close();
    },
  };
}
