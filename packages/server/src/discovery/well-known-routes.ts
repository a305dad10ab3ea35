import type { FastifyInstance } from 'fastify';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { authorizationServerMetadata } from './authorization-server-metadata.ts';

/** Discovery: RFC 8414 metadata and the JWKS consumers verify with. */
export async function wellKnownRoutes(
  app: FastifyInstance,
  context: { readonly config: ServiceConfig; readonly signer: Signer },
): Promise<void> {
  const { issuer } = context.config;
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    // Built per request: the key ring's algorithms can change while the service runs.
    return reply
      .header('cache-control', 'public, max-age=3600')
      .send(authorizationServerMetadata(issuer, context.signer.algorithms()));
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short enough that a rotated-in key is seen well before it signs.
    return reply
      .header('cache-control', 'public, max-age=300')
      .type('application/jwk-set+json')
      .send({ keys: context.signer.publicKeys() });
  });
}
