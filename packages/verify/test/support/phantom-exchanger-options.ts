import type { PhantomTokenExchangerOptions } from '../../src/phantom/index.ts';
import {
  gatewayClientId,
  gatewayClientSecret,
  type IntrospectionServer,
} from './phantom-introspection-server.ts';
import { audience, issuer } from './tokens.ts';

/**
 * A phantom-token exchanger's options against the test introspection server: its endpoint and
 * the gateway's client credentials, the test issuer and audience, and the JWKS that verifies
 * the inner JWTs. Spread and add to it what a test varies.
 */
export function exchangerOptions(
  service: IntrospectionServer,
  jwksUri: string,
): PhantomTokenExchangerOptions {
  return {
    introspectionEndpoint: service.url,
    clientId: gatewayClientId,
    clientSecret: gatewayClientSecret,
    issuer,
    audience,
    jwksUri,
  };
}
