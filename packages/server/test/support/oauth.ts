import type { TestService } from '../../../../test/support/test-service.ts';
import type { ClientRecord } from '../../src/clients/client-record.ts';
import { registerClient } from '../../src/clients/register-client.ts';
import { issueGrantTokens } from '../../src/oauth/issue-grant-tokens.ts';

export interface RegisteredClient {
  readonly client: ClientRecord;
  readonly secret: string | undefined;
}

/** Registers a client through the admin channel (the flow `/admin/clients` and `writ client add` use). */
export async function addClient(
  service: TestService,
  metadata: Record<string, unknown>,
): Promise<RegisteredClient> {
  const result = await registerClient(
    service.context,
    { client_name: 'test client', ...metadata },
    { via: 'admin' },
  );
  if (!result.ok) throw new Error(`cannot register test client: ${result.problem}`);
  return { client: result.client, secret: result.clientSecret };
}

/** A confidential client_secret_basic client allowed client_credentials. */
export function addServiceClient(
  service: TestService,
  metadata: Record<string, unknown> = {},
): Promise<RegisteredClient> {
  return addClient(service, {
    grant_types: ['client_credentials'],
    scope: 'read write',
    audiences: ['https://api.writ.test', 'https://other.writ.test'],
    ...metadata,
  });
}

/** A client allowed authorization_code and refresh_token (sessions are opened in-process below). */
export function addRefreshingClient(
  service: TestService,
  metadata: Record<string, unknown> = {},
): Promise<RegisteredClient> {
  return addClient(service, {
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://app.writ.test/callback'],
    scope: 'openid api read write offline_access',
    audiences: ['https://api.writ.test'],
    ...metadata,
  });
}

/**
 * Opens a client session the way the authorization_code grant does (issueGrantTokens in one
 * transaction), for tests of what comes after: refresh, introspection, revocation.
 */
export async function openClientSession(
  service: TestService,
  client: ClientRecord,
  userId: string,
  options: { scope?: string; dpopJkt?: string } = {},
) {
  return service.context.db.transaction((tx) =>
    issueGrantTokens(service.context, tx, {
      client,
      userId,
      scope: options.scope ?? 'api read write',
      audience: client.audiences[0] ?? '',
      dpopJkt: options.dpopJkt,
      authTimeMs: service.clock.nowMs(),
      browserSessionId: null,
      origin: { ip: '127.0.0.1', userAgent: 'test' },
    }),
  );
}

/** Revokes one live session of `userId` as its owner deleting it (`session_deleted`), now. */
export async function revokeSession(
  service: TestService,
  userId: string,
  sessionId: string,
): Promise<void> {
  await service.context.db.sessions.revokeOwned({
    userId,
    sessionIds: [sessionId],
    cause: 'session_deleted',
    nowMs: service.clock.nowMs(),
    which: 'live',
  });
}

export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export interface FormResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs a form (a string is sent as is, so tests can repeat a parameter). */
export async function postForm(
  base: string,
  path: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<FormResponse> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The client_secret_basic header of a client registered by `addClient`. */
export function basicAuthOf(registered: RegisteredClient): { readonly authorization: string } {
  return { authorization: basic(registered.client.clientId, registered.secret ?? '') };
}

/** A client_credentials access token for a client registered by `addClient` (Basic). */
export async function clientCredentialsToken(
  service: TestService,
  registered: RegisteredClient,
): Promise<string> {
  const response = await postForm(
    service.url,
    '/oauth/token',
    { grant_type: 'client_credentials' },
    basicAuthOf(registered),
  );
  if (response.status !== 200) {
    throw new Error(
      `client_credentials failed: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return String(response.body.access_token);
}
