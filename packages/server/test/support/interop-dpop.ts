import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { TestService } from '../../../../test/support/test-service.ts';
import type { RegisteredClient } from './authorize-flow.ts';
import { basic, postForm } from './oauth.ts';

/** A DPoP-bound client_credentials token (RFC 9449), answering the server's nonce request once. */
export async function dpopToken(service: TestService, client: RegisteredClient): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const url = `${service.url}/oauth/token`;
  const proof = (nonce: string | null) =>
    new SignJWT({ htm: 'POST', htu: url, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .sign(privateKey);
  const ask = async (nonce: string | null) =>
    postForm(
      service.url,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'api' },
      {
        authorization: basic(client.clientId, client.clientSecret ?? ''),
        dpop: await proof(nonce),
      },
    );
  let answer = await ask(null);
  if (answer.body.error === 'use_dpop_nonce') answer = await ask(answer.headers.get('dpop-nonce'));
  if (answer.status !== 200 || answer.body.token_type !== 'DPoP')
    throw new Error(`DPoP token request failed: ${answer.status} ${String(answer.body.error)}`);
  return String(answer.body.access_token);
}
