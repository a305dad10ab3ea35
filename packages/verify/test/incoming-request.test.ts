import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { createIncomingAuthenticator } from '../src/http/authenticate.ts';
import { createVerifier, type VerifierOptions } from '../src/index.ts';
import { audience, issuer, sign } from './support/tokens.ts';

/**
 * What the node:http adapters (node, Fastify, Express) read of a request: a verifier without
 * DPoP has no use for the `DPoP` header or the request's origin, so a request to it pays for
 * neither (building the origin was a tenth of the adapter's cost per cached request).
 */

let key: SigningKey;
let options: VerifierOptions;
let token: string;

beforeAll(async () => {
  key = await ed25519('ed-incoming');
  options = { issuer, audience, jwks: { keys: [key.publicJwk] } };
  token = await sign(key);
});

/** A node:http request that counts how often its connection is looked at (for the origin). */
function countingRequest(authorization: string): {
  readonly request: { method: string; rawHeaders: string[]; readonly socket: object };
  readonly socketReads: () => number;
} {
  let reads = 0;
  const request = {
    method: 'GET',
    rawHeaders: ['Host', 'api.writ.test', 'Authorization', authorization, 'DPoP', 'x.y.z'],
    get socket(): object {
      reads++;
      return { encrypted: true };
    },
  };
  return { request, socketReads: () => reads };
}

describe('a request to a verifier without DPoP', () => {
  it('is authenticated without its origin being built', async () => {
    const authenticate = createIncomingAuthenticator(createVerifier(options));
    const { request, socketReads } = countingRequest(`Bearer ${token}`);
    const outcome = await authenticate(request, '/me');
    expect(outcome.ok).toBe(true);
    expect(socketReads()).toBe(0);
  });
});

describe('a request to a verifier with DPoP', () => {
  it('has its origin built from Host and the connection, for the proof', async () => {
    const authenticate = createIncomingAuthenticator(createVerifier({ ...options, dpop: {} }));
    const { request, socketReads } = countingRequest(`Bearer ${token}`);
    // An unbound token sent as Bearer is accepted; its origin was read all the same.
    const outcome = await authenticate(request, '/me');
    expect(outcome.ok).toBe(true);
    expect(socketReads()).toBe(1);
  });
});

describe('header names', () => {
  it('are read whatever their case (RFC 9110 §5.1), the usual spellings and any other', async () => {
    const authenticate = createIncomingAuthenticator(createVerifier(options));
    for (const name of ['authorization', 'Authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
      const outcome = await authenticate(
        { method: 'GET', rawHeaders: ['Host', 'api.writ.test', name, `Bearer ${token}`] },
        '/me',
      );
      expect(outcome.ok).toBe(true);
    }
    // Two Authorization fields, spelled differently, are still two: refused.
    const twice = await authenticate(
      {
        method: 'GET',
        rawHeaders: ['authorization', `Bearer ${token}`, 'AUTHORIZATION', `Bearer ${token}`],
      },
      '/me',
    );
    expect(twice.ok).toBe(false);
  });
});
