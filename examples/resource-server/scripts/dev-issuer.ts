/**
 * DEVELOPMENT HELPER — NOT A TOKEN SERVICE.
 *
 * A throwaway issuer for trying the resource server on your machine: it generates an Ed25519
 * key in memory, publishes the public half at http://127.0.0.1:4000/jwks and hands out signed
 * access tokens to anyone who asks (GET /token). No sign-in, no revocation, a new key on every
 * start. Never expose it beyond loopback, never use it for anything real.
 *
 *   npm run dev-issuer -w examples/resource-server
 *
 * Environment: DEV_ISSUER_PORT (default 4000), WRIT_AUDIENCE (default http://127.0.0.1:4001),
 * DEV_SCOPE (default "profile:read").
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface DevIssuerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The `aud` put in every token: the resource server's `WRIT_AUDIENCE`. */
  readonly audience: string;
  /** The `scope` put in every token. */
  readonly scope?: string;
  /** Token lifetime. Default 15 minutes. */
  readonly lifetimeSec?: number;
}

export interface DevIssuer {
  /** `iss` of every token, and the base URL of this server. */
  readonly issuer: string;
  readonly audience: string;
  /** Where the public key set is served. */
  readonly jwksUri: string;
  /** Signs a new access token for `sub`. */
  mint(sub?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = `dev-${randomUUID()}`;
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }],
  });
  const defaultSub = randomUUID();
  const scope = options.scope ?? 'profile:read';
  const lifetimeSec = options.lifetimeSec ?? 15 * 60;
  let issuer = '';

  const mint = (sub: string = defaultSub): Promise<string> =>
    signAccessToken(privateKey, kid, {
      iss: issuer,
      sub,
      aud: options.audience,
      scope,
      lifetimeSec,
    });

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/jwks') {
      response.writeHead(200, {
        'content-type': 'application/jwk-set+json',
        'cache-control': 'public, max-age=60',
      });
      response.end(jwks);
      return;
    }
    if (request.method === 'GET' && path === '/token') {
      mint().then(
        (token) => {
          response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
          response.end(`${token}\n`);
        },
        () => {
          response.writeHead(500).end();
        },
      );
      return;
    }
    response.writeHead(404).end();
  });
  server.listen(options.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    audience: options.audience,
    jwksUri: `${issuer}/jwks`,
    mint,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

/** An RFC 9068 access token: header `{ alg: EdDSA, typ: at+jwt, kid }`. */
function signAccessToken(
  key: CryptoKey,
  kid: string,
  claims: { iss: string; sub: string; aud: string; scope: string; lifetimeSec: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: claims.scope })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + claims.lifetimeSec)
    .setJti(randomUUID())
    .sign(key);
}

async function runFromCommandLine(): Promise<void> {
  const port = Number(process.env.DEV_ISSUER_PORT ?? 4000);
  const audience = process.env.WRIT_AUDIENCE ?? 'http://127.0.0.1:4001';
  const issuer = await startDevIssuer({
    port,
    audience,
    ...(process.env.DEV_SCOPE === undefined ? {} : { scope: process.env.DEV_SCOPE }),
  });
  const token = await issuer.mint();
  console.log(`DEVELOPMENT ONLY: throwaway issuer ${issuer.issuer} (new key on every start)

Key set:  ${issuer.jwksUri}
Run the resource server against it, in another terminal:

  WRIT_ISSUER=${issuer.issuer} WRIT_AUDIENCE=${audience} \\
  WRIT_JWKS_URI=${issuer.jwksUri} npm start -w examples/resource-server

An access token, valid 15 minutes (get a fresh one with: curl -s ${issuer.issuer}/token):

  TOKEN=${token}

Ctrl+C to stop.`);
  const stop = (): void => {
    issuer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) await runFromCommandLine();
