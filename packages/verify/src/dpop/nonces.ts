import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigurationError } from '@writ/core';

/**
 * Server-issued DPoP nonces (RFC 9449 §8, §9). Stateless: a nonce is the time it was issued and
 * an HMAC of that time under a secret, so any instance sharing the secret accepts it and nothing
 * is stored. A nonce limits how far ahead a proof can be made (a stolen key's owner cannot mint
 * proofs for later use); replays are the `jti` cache's job.
 */
export interface DpopNonces {
  /** A nonce for the client to put in its next proofs. */
  issue(nowSec: number): string;
  /** Whether `nonce` was issued by this server (this secret) no longer ago than the lifetime. */
  accepts(nonce: unknown, nowSec: number): boolean;
}

export interface DpopNonceOptions {
  /**
   * HMAC key, at least 32 bytes. Instances that serve the same clients must share it. Default: a
   * random key made at start-up (one instance only; nonces die with the process).
   */
  readonly secret?: Uint8Array;
  /** How long a nonce stays good: 10 s to 3600 s, default 300 s. */
  readonly lifetimeSec?: number;
}

/** A new nonce is handed out at most this often: proofs made within one step can share it. */
const issueStepSec = 10;
/** 128 bits of MAC: forging one is out of reach, and the nonce stays short. */
const macBytes = 16;

export function createDpopNonces(options: DpopNonceOptions = {}): DpopNonces {
  const lifetimeSec = options.lifetimeSec ?? 300;
  if (!Number.isInteger(lifetimeSec) || lifetimeSec < 10 || lifetimeSec > 3600) {
    throw new ConfigurationError('nonce lifetimeSec must be an integer from 10 to 3600');
  }
  if (options.secret !== undefined && !(options.secret instanceof Uint8Array)) {
    throw new ConfigurationError('nonce secret must be a Uint8Array');
  }
  if (options.secret !== undefined && options.secret.byteLength < 32) {
    throw new ConfigurationError('nonce secret must be at least 256 bits');
  }
  const secret = Buffer.from(options.secret ?? randomBytes(32));
  const mac = (issuedSec: number): Buffer =>
    createHmac('sha256', secret)
      .update(`writ-dpop-nonce.${issuedSec}`, 'latin1')
      .digest()
      .subarray(0, macBytes);

  // The nonce of the current step, made once: adapters put one on every answer.
  let current = { issuedSec: Number.NaN, nonce: '' };
  return {
    issue(nowSec) {
      const issuedSec = Math.floor(nowSec / issueStepSec) * issueStepSec;
      if (issuedSec !== current.issuedSec) {
        current = {
          issuedSec,
          nonce: `${issuedSec.toString(36)}.${mac(issuedSec).toString('base64url')}`,
        };
      }
      return current.nonce;
    },
    accepts(nonce, nowSec) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const dot = nonce.indexOf('.');
      if (dot < 1) return false;
      const issuedText = nonce.slice(0, dot);
      if (!/^[0-9a-z]{1,12}$/.test(issuedText)) return false;
      const issuedSec = Number.parseInt(issuedText, 36);
      // Issued times are multiples of the step: another spelling of a time is not ours.
      if (issuedSec % issueStepSec !== 0 || issuedSec.toString(36) !== issuedText) return false;
      if (issuedSec > nowSec || nowSec - issuedSec > lifetimeSec) return false;
      const presented = Buffer.from(nonce.slice(dot + 1), 'base64url');
      return presented.length === macBytes && timingSafeEqual(presented, mac(issuedSec));
    },
  };
}
