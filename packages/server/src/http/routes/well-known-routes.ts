import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service-context.ts';

/** Discovery: RFC 8414 metadata and the JWKS consumers verify with. */
export async function wellKnownRoutes(
  app: FastifyInstance,
  context: ServiceContext,
): Promise<void> {
  const { issuer } = context.config;
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=3600').send({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      // Writ's first-party endpoints; the OAuth token/revocation/introspection endpoints will be
      // listed here as they arrive.
      token_endpoint_auth_methods_supported: ['none'],
      response_types_supported: [],
      grant_types_supported: ['refresh_token'],
      revocation_stream_endpoint: `${issuer}/revocations/stream`,
      revocation_snapshot_endpoint: `${issuer}/revocations`,
      token_signing_alg_values_supported: context.signer.algorithms(),
      access_token_types_supported: ['at+jwt'],
    });
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short enough that a rotated-in key is seen well before it signs.
    return reply
      .header('cache-control', 'public, max-age=300')
      .type('application/jwk-set+json')
      .send({ keys: context.signer.publicKeys() });
  });
}
