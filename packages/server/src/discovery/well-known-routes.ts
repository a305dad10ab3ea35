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
  // Short enough that a rotated-in key is seen well before it signs: scheduled rotation
  // publishes a next key longer than this (plus the unknown-kid cooldown) before it signs.
  const cacheControl = `public, max-age=${rotationTimes(context.config.keyRotationPeriodSec).jwksMaxAgeSec}`;
  const sendMetadata = async (_request: unknown, reply: FastifyReply): Promise<unknown> =>
    // Built per request: the key ring's algorithms can change while the service runs. Cached
    // no longer than the JWKS: a client that takes its allowed algorithms from here (ID token
    // signing algorithms) must not refuse an algorithm added to the ring after the JWKS has it.
    reply
      .header('cache-control', cacheControl)
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

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply
      .header('cache-control', cacheControl)
      .header('access-control-allow-origin', '*')
      .type('application/jwk-set+json')
      .send({ keys: context.signer.publicKeys() });
  });
}
