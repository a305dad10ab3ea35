import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  authorizeUrl,
  CookieJar,
  codeRequest,
  exchangeCode,
  pkcePair,
  type RegisteredClient,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { dpopToken } from './support/interop-dpop.ts';
import { basic, postForm } from './support/oauth.ts';

/**
 * The Python resource server of docs/protect-an-api-in-another-language.md
 * (examples/python-resource-server/verify.py, PyJWT from Debian's python3-jwt) run against the
 * live service: it discovers the JWKS, verifies an access token (typ at+jwt, iss, aud, EdDSA in
 * the allowlist), refuses the ID token, another audience, another Writ's token and a DPoP-bound
 * token it cannot check, and learns of a revocation through introspection. The script runs as a
 * child process (asynchronously: the service answers from this very process). It needs
 * /usr/bin/python3 with python3-jwt and python3-cryptography (.ci/run installs them); without
 * them it fails rather than skips.
 */

const python = '/usr/bin/python3';
const script = fileURLToPath(
  new URL('../../../examples/python-resource-server/verify.py', import.meta.url),
);
const audience = 'https://api.writ.test';
const run = promisify(execFile);

let service: TestService;
let otherWrit: TestService;
let machine: RegisteredClient;

async function machineClient(target: TestService): Promise<RegisteredClient> {
  return registerClient(target, await target.addKey('admin'), {
    client_name: 'Python interop machine',
    grant_types: ['client_credentials'],
    redirect_uris: undefined,
    scope: 'api',
    audiences: [audience, 'https://other.writ.test'],
  });
}

async function tokenFor(
  target: TestService,
  client: RegisteredClient,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const answer = await postForm(
    target.url,
    '/oauth/token',
    { grant_type: 'client_credentials', scope: 'api', ...extra },
    { authorization: basic(client.clientId, client.clientSecret ?? ''), ...headers },
  );
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status}`);
  return String(answer.body.access_token);
}

interface ScriptResult {
  readonly code: number;
  readonly output: Record<string, unknown>;
}

async function verifyInPython(
  token: string,
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  const childEnv = {
    PATH: process.env.PATH ?? '',
    WRIT_ISSUER: service.url,
    WRIT_AUDIENCE: audience,
    ...env,
  };
  try {
    const { stdout } = await run(python, [script, token], { env: childEnv, timeout: 20_000 });
    return { code: 0, output: JSON.parse(stdout) as Record<string, unknown> };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number' || !failed.stdout) throw error;
    return { code: failed.code, output: JSON.parse(failed.stdout) as Record<string, unknown> };
  }
}

beforeAll(async () => {
  [service, otherWrit] = await Promise.all([startTestService(), startTestService()]);
  machine = await machineClient(service);
});
afterAll(() => Promise.all([service?.destroy(), otherWrit?.destroy()]));

describe('the Python (PyJWT) resource server example', () => {
  it('verifies an access token from the live JWKS', async () => {
    const result = await verifyInPython(await tokenFor(service, machine));
    expect(result.code).toBe(0);
    expect(result.output).toMatchObject({
      iss: service.url,
      aud: audience,
      sub: machine.clientId,
      client_id: machine.clientId,
      scope: 'api',
    });
  });

  it('refuses another audience and another Writ', async () => {
    const other = await verifyInPython(
      await tokenFor(service, machine, { resource: 'https://other.writ.test' }),
    );
    expect(other).toMatchObject({ code: 1, output: { error: 'InvalidAudienceError' } });
    const foreign = await verifyInPython(await tokenFor(otherWrit, await machineClient(otherWrit)));
    // Its kid is not in our JWKS; were it, the iss would not match.
    expect(foreign.code).toBe(1);
    expect(foreign.output.error).toMatch(/PyJWKClientError|InvalidIssuerError/);
  });

  it('refuses an ID token where an access token is expected', async () => {
    await service.addUser('py@example.com', 'correct horse battery staple');
    const web = await registerClient(service, await service.addKey('admin'));
    const { verifier, challenge } = pkcePair();
    const params = await signInThroughPage(
      service,
      new CookieJar(),
      authorizeUrl(service, codeRequest(web, challenge)),
      { email: 'py@example.com', password: 'correct horse battery staple' },
    );
    const exchanged = await exchangeCode(service, web, {
      code: params.get('code') ?? '',
      redirect_uri: web.redirectUri,
      code_verifier: verifier,
    });
    const result = await verifyInPython(String(exchanged.body.id_token));
    expect(result).toMatchObject({
      code: 1,
      output: { error: 'Refused', reason: 'not an access token' },
    });
    // The access token of the same exchange passes.
    expect((await verifyInPython(String(exchanged.body.access_token))).code).toBe(0);
  });

  it('refuses a DPoP-bound token (it checks no proofs)', async () => {
    const bound = await registerClient(service, await service.addKey('admin'), {
      client_name: 'Python interop DPoP machine',
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
      dpop_bound_access_tokens: true,
    });
    const token = await dpopToken(service, bound);
    expect(await verifyInPython(token)).toMatchObject({
      code: 1,
      output: { error: 'Refused', reason: 'DPoP-bound token: a proof is required' },
    });
  });

  it('learns of a revocation through introspection', async () => {
    const token = await tokenFor(service, machine);
    const introspecting = {
      WRIT_INTROSPECT_CLIENT_ID: machine.clientId,
      WRIT_INTROSPECT_CLIENT_SECRET: machine.clientSecret ?? '',
    };
    expect((await verifyInPython(token, introspecting)).code).toBe(0);
    const revoked = await postForm(
      service.url,
      '/oauth/revoke',
      { token, token_type_hint: 'access_token' },
      { authorization: basic(machine.clientId, machine.clientSecret ?? '') },
    );
    expect(revoked.status).toBe(200);
    // The signature still verifies (no introspection: accepted until exp)...
    expect((await verifyInPython(token)).code).toBe(0);
    // ...the service says it is revoked.
    expect(await verifyInPython(token, introspecting)).toMatchObject({
      code: 1,
      output: { error: 'Refused', reason: 'token is not active' },
    });
  });
});
