import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

async function metadata(): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}/.well-known/oauth-authorization-server`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Members RFC 8414 §2 defines (and the IANA registry it created lists for plain OAuth). */
const rfc8414Members = new Set([
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'scopes_supported',
  'response_types_supported',
  'response_modes_supported',
  'grant_types_supported',
  'token_endpoint_auth_methods_supported',
  'token_endpoint_auth_signing_alg_values_supported',
  'service_documentation',
  'ui_locales_supported',
  'op_policy_uri',
  'op_tos_uri',
  'revocation_endpoint',
  'revocation_endpoint_auth_methods_supported',
  'revocation_endpoint_auth_signing_alg_values_supported',
  'introspection_endpoint',
  'introspection_endpoint_auth_methods_supported',
  'introspection_endpoint_auth_signing_alg_values_supported',
  'code_challenge_methods_supported',
]);

describe('authorization server metadata (RFC 8414)', () => {
  it('states every member whose absence would mean a default the service does not offer', async () => {
    const body = await metadata();
    // Required, and empty: there is no authorization endpoint, so no response type.
    expect(body.response_types_supported).toEqual([]);
    // Absent would mean ["authorization_code", "implicit"]; absent modes mean query and
    // fragment; absent auth methods mean client_secret_basic. None is offered yet.
    expect(body.grant_types_supported).toEqual([]);
    expect(body.response_modes_supported).toEqual([]);
    expect(body.token_endpoint_auth_methods_supported).toEqual([]);
    expect(body).not.toHaveProperty('authorization_endpoint');
    expect(body).not.toHaveProperty('token_endpoint');
  });

  it('names its own members with the writ_ prefix, and nothing else outside RFC 8414', async () => {
    const body = await metadata();
    for (const member of Object.keys(body)) {
      expect(rfc8414Members.has(member) || member.startsWith('writ_'), member).toBe(true);
    }
    expect(body).toMatchObject({
      issuer: service.url,
      jwks_uri: `${service.url}/.well-known/jwks.json`,
      writ_revocation_stream_endpoint: `${service.url}/revocations/stream`,
      writ_revocation_snapshot_endpoint: `${service.url}/revocations`,
      writ_access_token_signing_alg_values_supported: ['EdDSA'],
      writ_access_token_types_supported: ['at+jwt'],
    });
  });
});
