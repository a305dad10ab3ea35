import type { FastifyInstance, FastifyReply } from 'fastify';
import { rotationTimes } from '../keys/rotation-schedule.ts';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { authorizationServerMetadata } from './authorization-server-metadata.ts';

/**
 * Discovery: one metadata document at both well-known names (RFC 8414 and OpenID Connect
 * Discovery, so default discovery works in either kind of client library), and the JWKS.
 */
export async function wellKnownRoutes(
  app: FastifyInstance,
  context: { readonly config: ServiceConfig; readonly signer: Signer },
): Promise<void> {
  const { issuer, dynamicClientRegistration } = context.config;
  const sendMetadata = async (_request: unknown, reply: FastifyReply): Promise<unknown> =>
    // Built per request: the key ring's algorithms can change while the service runs.
    reply
      .header('cache-control', 'public, max-age=3600')
      // Public documents: browser-based clients discover the service from their own origin.
      .header('access-control-allow-origin', '*')
      .send(
        authorizationServerMetadata({
          issuer,
          algorithms: context.signer.algorithms(),
          dynamicClientRegistration,
        }),
      );
  app.get('/.well-known/oauth-authorization-server', sendMetadata);
  app.get('/.well-known/openid-configuration', sendMetadata);

  // Short enough that a rotated-in key is seen well before it signs: scheduled rotation
  // publishes a next key longer than this (plus the unknown-kid cooldown) before it signs.
  const jwksCacheControl = `public, max-age=${rotationTimes(context.config.keyRotationPeriodSec).jwksMaxAgeSec}`;
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply
      .header('cache-control', jwksCacheControl)
      .header('access-control-allow-origin', '*')
      .type('application/jwk-set+json')
      .send({ keys: context.signer.publicKeys() });
  });
}
