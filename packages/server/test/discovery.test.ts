import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

async function document(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

const metadata = () => document('/.well-known/oauth-authorization-server');

/**
 * Members defined by RFC 8414 §2 and the registry it created (RFC 7009, 7662, 8628-free, 9101,
 * 9126, 9207, 9449, 9701), and by OpenID Connect Discovery 1.0 §3 and Back-Channel Logout 1.0.
 */
const registeredMembers = new Set([
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
  'introspection_signing_alg_values_supported',
  'code_challenge_methods_supported',
  'pushed_authorization_request_endpoint',
  'require_pushed_authorization_requests',
  'authorization_response_iss_parameter_supported',
  'dpop_signing_alg_values_supported',
  'userinfo_endpoint',
  'end_session_endpoint',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
  'claims_supported',
  'request_parameter_supported',
  'request_uri_parameter_supported',
  'backchannel_logout_supported',
  'backchannel_logout_session_supported',
]);

describe('discovery metadata', () => {
  it('serves one document at both well-known names (RFC 8414 and OpenID Connect Discovery)', async () => {
    const oauth = await metadata();
    const openid = await document('/.well-known/openid-configuration');
    expect(openid).toEqual(oauth);
    expect(oauth.issuer).toBe(service.url);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/jwks.json']) {
      const response = await fetch(`${service.url}${path}`, {
        headers: { origin: 'https://spa.example' },
      });
      await response.arrayBuffer();
      expect(response.headers.get('access-control-allow-origin'), path).toBe('*');
    }
  });

  it('names its own members with the writ_ prefix, and nothing else outside the registries', async () => {
    const body = await metadata();
    for (const member of Object.keys(body)) {
      expect(registeredMembers.has(member) || member.startsWith('writ_'), member).toBe(true);
    }
    expect(body).toMatchObject({
      jwks_uri: `${service.url}/.well-known/jwks.json`,
      writ_revocation_stream_endpoint: `${service.url}/revocations/stream`,
      writ_revocation_snapshot_endpoint: `${service.url}/revocations`,
      writ_access_token_signing_alg_values_supported: ['EdDSA'],
      writ_access_token_types_supported: ['at+jwt'],
    });
  });

  it('advertises the contract paths, each of which answers (none is a 404)', async () => {
    const body = await metadata();
    expect(body).toMatchObject({
      authorization_endpoint: `${service.url}/oauth/authorize`,
      token_endpoint: `${service.url}/oauth/token`,
      introspection_endpoint: `${service.url}/oauth/introspect`,
      revocation_endpoint: `${service.url}/oauth/revoke`,
      pushed_authorization_request_endpoint: `${service.url}/oauth/par`,
      userinfo_endpoint: `${service.url}/oauth/userinfo`,
      end_session_endpoint: `${service.url}/oauth/logout`,
    });
    const endpoints = Object.entries(body).filter(
      ([member, value]) => member.endsWith('_endpoint') && typeof value === 'string',
    );
    expect(endpoints.length).toBeGreaterThanOrEqual(7);
    for (const [member, url] of endpoints) {
      if (member === 'writ_revocation_stream_endpoint') continue; // a stream: checked elsewhere
      const method =
        member === 'authorization_endpoint' ||
        member === 'end_session_endpoint' ||
        member === 'userinfo_endpoint' ||
        member.startsWith('writ_')
          ? 'GET'
          : 'POST';
      const response = await fetch(String(url), {
        method,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }
          : {}),
      });
      await response.arrayBuffer();
      expect(response.status, member).not.toBe(404);
    }
  });

  it('states what the service offers, and what it does not where absence would mean a default', async () => {
    const body = await metadata();
    expect(body).toMatchObject({
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      dpop_signing_alg_values_supported: ['EdDSA', 'ES256'],
      authorization_response_iss_parameter_supported: true,
      require_pushed_authorization_requests: false,
      request_uri_parameter_supported: false,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['EdDSA'],
      introspection_signing_alg_values_supported: ['EdDSA'],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    expect(body.scopes_supported).toContain('openid');
    expect(body.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'iss', 'auth_time', 'nonce']),
    );
    // Implicit and password grants do not exist.
    expect(body.grant_types_supported).not.toContain('implicit');
    expect(body.grant_types_supported).not.toContain('password');
    // Dynamic registration is off by default, so it is not advertised.
    expect(body).not.toHaveProperty('registration_endpoint');
  });

  it('is cached no longer than the JWKS, whose algorithms it names', async () => {
    const maxAge = (response: Response) =>
      Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
    const jwks = await fetch(`${service.url}/.well-known/jwks.json`);
    const jwksMaxAge = maxAge(jwks);
    expect(jwksMaxAge).toBeGreaterThan(0);
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      const metadata = await fetch(`${service.url}${path}`);
      expect(maxAge(metadata)).toBeGreaterThan(0);
      expect(maxAge(metadata)).toBeLessThanOrEqual(jwksMaxAge);
    }
  });

  it('advertises registration only when it is enabled', async () => {
    const enabled = await startTestService({ WRIT_DYNAMIC_CLIENT_REGISTRATION: 'true' });
    try {
      const response = await fetch(`${enabled.url}/.well-known/openid-configuration`);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.registration_endpoint).toBe(`${enabled.url}/oauth/register`);
      const register = await fetch(String(body.registration_endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await register.arrayBuffer();
      expect(register.status).not.toBe(404);
    } finally {
      await enabled.destroy();
    }
  });
});
