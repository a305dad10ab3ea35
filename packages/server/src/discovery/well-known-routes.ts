import type { FastifyInstance } from 'fastify';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';

/** Discovery: RFC 8414 metadata and the JWKS consumers verify with. */
export async function wellKnownRoutes(
  app: FastifyInstance,
  context: { readonly config: ServiceConfig; readonly signer: Signer },
): Promise<void> {
  const { issuer } = context.config;
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=3600').send({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      // No authorization or token endpoint yet: the OAuth token, revocation (RFC 7009) and
      // introspection endpoints are listed here as they arrive. Until then, nothing is claimed.
      response_types_supported: [],
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
