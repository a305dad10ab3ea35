import { Policy } from '@writ/core';
import {
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { findClientCached } from './client-cache.ts';
import { clientAssertionAlgorithms } from './client-jwks.ts';
import type { ClientAuthMethod, ClientRecord } from './client-record.ts';
import { hashClientSecret, secretHashMatches } from './client-secret.ts';
import type { ClientsStores } from './clients-store.ts';
import { decoyKeyFor } from './decoy-keys.ts';
import type { StoredClient } from './stored-client.ts';

export interface ClientAuthenticationRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The form parameters, each given once (the endpoint refuses duplicates before this). */
  readonly params: ReadonlyMap<string, string>;
}

/**
 * Why an authentication failed, for logs and metrics only. Never put it in an answer: it says
 * whether a client id exists, which the uniform invalid_client is there to hide.
 */
export type ClientAuthenticationReason =
  | 'two_methods'
  | 'no_credentials'
  | 'malformed_credentials'
  | 'unknown_client'
  | 'client_disabled'
  | 'wrong_method'
  | 'wrong_secret'
  | 'assertion_signature'
  | 'assertion_claims'
  | 'assertion_replayed';

export type ClientAuthentication =
  | { readonly ok: true; readonly client: ClientRecord }
  | {
      readonly ok: false;
      readonly status: 400 | 401;
      readonly error: 'invalid_client' | 'invalid_request';
      /** Set when the client tried HTTP Basic (RFC 6749 §5.2: answer with the scheme it used). */
      readonly wwwAuthenticate?: string;
      readonly reason: ClientAuthenticationReason;
    };

type Check =
  | { readonly ok: true; readonly client: ClientRecord }
  | { readonly ok: false; readonly reason: ClientAuthenticationReason };

export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 7523 leaves the bound to the server: five minutes covers clock drift and a slow network. */
const maxAssertionLifetimeSec = 300;
const maxAssertionLength = 8192;
const maxSecretLength = 512;
const clientIdShape = /^[\x21-\x7e]{1,128}$/;
const jtiShape = /^[\x21-\x7e]{1,256}$/;
const basicHeader = /^[Bb][Aa][Ss][Ii][Cc] +([A-Za-z0-9+/]+={0,2}) *$/;
const acceptedAssertionTypes = new Set([undefined, 'JWT', 'client-authentication+jwt']);
const basicChallenge = 'Basic realm="writ", charset="UTF-8"';

type AuthenticationContext = {
  readonly config: Pick<ServiceConfig, 'issuer'>;
  readonly db: UnitOfWork<ClientsStores>;
};

const refused = (reason: ClientAuthenticationReason): Check => ({ ok: false, reason });

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined for Basic. */
function formDecode(value: string): string | undefined {
  // Generated ids and secrets are base64url: nothing to decode (and the same answer).
  if (!value.includes('%') && !value.includes('+')) return value;
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    // A lone `%` or a broken UTF-8 sequence: not a form-encoded value.
    return undefined;
  }
}

function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = basicHeader.exec(header);
  if (match?.[1] === undefined) return;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined) return;
  return { clientId, secret };
}

/** What stops this stored client from authenticating with `method`, if anything. */
function unusable(
  stored: StoredClient | undefined,
  method: ClientAuthMethod,
): ClientAuthenticationReason | undefined {
  if (stored === undefined) return 'unknown_client';
  if (stored.record.disabledAt !== null) return 'client_disabled';
  if (stored.record.authMethod !== method) return 'wrong_method';
  return undefined;
}

/**
 * Checks a client secret. The hash and the constant-time comparison run whether or not the
 * client exists (against a decoy hash when it does not), and both the current and the previous
 * secret are always compared, so the answer takes the same work in every case.
 */
async function checkSecret(
  context: AuthenticationContext,
  clientId: string,
  secret: string,
  method: 'client_secret_basic' | 'client_secret_post',
  nowMs: number,
): Promise<Check> {
  const wellFormed =
    clientIdShape.test(clientId) && secret.length > 0 && secret.length <= maxSecretLength;
  const stored = wellFormed ? await findClientCached(context.db, clientId) : undefined;
  const presented = hashClientSecret(secret.slice(0, maxSecretLength));
  const current = secretHashMatches(presented, stored?.secretHash ?? null);
  const previous = secretHashMatches(presented, stored?.previousSecretHash ?? null);
  const previousLive = (stored?.previousSecretExpiresAt ?? 0) > nowMs;
  if (!wellFormed) return refused('malformed_credentials');
  const problem = unusable(stored, method);
  if (problem !== undefined || stored === undefined) return refused(problem ?? 'unknown_client');
  return current || (previous && previousLive)
    ? { ok: true, client: stored.record }
    : refused('wrong_secret');
}

/** The client's key the assertion names (by kid, else its only key fitting the algorithm). */
function assertionKey(
  jwks: JSONWebKeySet | null,
  alg: string,
  kid: string | undefined,
): JWK | undefined {
  if (jwks === null) return;
  const fitting = jwks.keys.filter((key) => {
    if (key.alg !== undefined && key.alg !== alg) return false;
    if (kid !== undefined && key.kid !== kid) return false;
    return decoyKeyFor(alg).kty === key.kty;
  });
  return fitting.length === 1 ? fitting[0] : undefined;
}

function audienceIsOurs(aud: JWTPayload['aud'], accepted: readonly string[]): boolean {
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  // Every audience must be ours: an assertion also addressed to another server could be replayed
  // by that server here (the "audience injection" attack on private_key_jwt).
  return audiences.length > 0 && audiences.every((value) => accepted.includes(value));
}

/**
 * RFC 7523 client authentication: a JWT signed with one of the client's registered keys,
 * iss = sub = client_id, aud the issuer, the token endpoint (or the PAR endpoint, RFC 9126 §2),
 * exp required and at most five minutes ahead, a jti used once. The signature is checked
 * (against a decoy key when the client or its key is unknown) before anything about the client
 * decides the answer.
 */
async function checkAssertion(
  context: AuthenticationContext,
  assertion: string,
  claimedClientId: string | undefined,
  nowMs: number,
): Promise<Check> {
  if (assertion.length > maxAssertionLength) return refused('malformed_credentials');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    // Not a compact JWS with a JSON header and claims: nothing more specific to say.
    return refused('malformed_credentials');
  }
  const clientId = unverified.sub;
  if (typeof clientId !== 'string' || !clientIdShape.test(clientId) || unverified.iss !== clientId)
    return refused('assertion_claims');
  if (claimedClientId !== undefined && claimedClientId !== clientId)
    return refused('assertion_claims');
  const alg = header.alg;
  if (typeof alg !== 'string' || !clientAssertionAlgorithms.includes(alg))
    return refused('malformed_credentials');
  if (!acceptedAssertionTypes.has(header.typ) || header.crit !== undefined)
    return refused('malformed_credentials');

  const stored = await findClientCached(context.db, clientId);
  const clientKey = assertionKey(stored?.jwks ?? null, alg, header.kid);
  const nowSec = Math.floor(nowMs / 1000);
  const { issuer } = context.config;
  let payload: JWTPayload | undefined;
  let verifyError: unknown;
  try {
    const key = await importJWK(clientKey ?? decoyKeyFor(alg), alg);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [alg],
      issuer: clientId,
      subject: clientId,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(nowMs),
      clockTolerance: Policy.clockToleranceDefaultSec,
    }));
  } catch (error) {
    verifyError = error;
  }
  // Only now, with the signature work done either way, does the client decide anything.
  const problem = unusable(stored, 'private_key_jwt');
  if (problem !== undefined || stored === undefined) return refused(problem ?? 'unknown_client');
  if (clientKey === undefined || payload === undefined) {
    const code = (verifyError as { code?: unknown } | undefined)?.code;
    return refused(
      clientKey === undefined || code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
        ? 'assertion_signature'
        : 'assertion_claims',
    );
  }
  // RFC 9126 §2 adds the PAR endpoint to what an assertion may name.
  if (!audienceIsOurs(payload.aud, [issuer, `${issuer}/oauth/token`, `${issuer}/oauth/par`]))
    return refused('assertion_claims');
  const exp = payload.exp;
  if (typeof exp !== 'number' || exp > nowSec + maxAssertionLifetimeSec)
    return refused('assertion_claims');
  if (typeof payload.iat === 'number' && payload.iat > nowSec + Policy.clockToleranceDefaultSec)
    return refused('assertion_claims');
  const jti = payload.jti;
  if (typeof jti !== 'string' || !jtiShape.test(jti)) return refused('assertion_claims');
  // Kept until exp (plus the tolerance jose allowed past it): a copy is refused as long as it could verify.
  const forgetAtMs = (exp + Policy.clockToleranceDefaultSec) * 1000;
  const firstUse = await context.db.transaction((tx) =>
    tx.clients.recordAssertion(clientId, jti, forgetAtMs, nowMs),
  );
  return firstUse ? { ok: true, client: stored.record } : refused('assertion_replayed');
}

/** A public client: the id alone, which is why PKCE is always required of it. */
async function checkPublic(context: AuthenticationContext, clientId: string): Promise<Check> {
  if (!clientIdShape.test(clientId)) return refused('malformed_credentials');
  const stored = await findClientCached(context.db, clientId);
  const problem = unusable(stored, 'none');
  if (problem !== undefined || stored === undefined) return refused(problem ?? 'unknown_client');
  return { ok: true, client: stored.record };
}

type Method = 'basic' | 'post' | 'assertion' | 'none';

/** Runs the one method the request uses. */
async function checkPresented(
  context: AuthenticationContext,
  request: ClientAuthenticationRequest,
  method: Method,
  nowMs: number,
): Promise<Check> {
  const { params } = request;
  const claimedClientId = params.get('client_id');
  switch (method) {
    case 'basic': {
      const credentials = parseBasic(String(request.headers.authorization));
      if (credentials === undefined) return refused('malformed_credentials');
      // RFC 6749 §2.3.1 lets the id ride in the form too; then it must be the same one.
      if (claimedClientId !== undefined && claimedClientId !== credentials.clientId)
        return refused('malformed_credentials');
      const { clientId, secret } = credentials;
      return checkSecret(context, clientId, secret, 'client_secret_basic', nowMs);
    }
    case 'post': {
      if (claimedClientId === undefined) return refused('malformed_credentials');
      const secret = params.get('client_secret') ?? '';
      return checkSecret(context, claimedClientId, secret, 'client_secret_post', nowMs);
    }
    case 'assertion': {
      const assertion = params.get('client_assertion');
      if (params.get('client_assertion_type') !== jwtBearerAssertionType || assertion === undefined)
        return refused('malformed_credentials');
      return checkAssertion(context, assertion, claimedClientId, nowMs);
    }
    case 'none':
      if (claimedClientId === undefined) return refused('no_credentials');
      return checkPublic(context, claimedClientId);
  }
}

/**
 * Authenticates the client of an OAuth request (token, PAR, revocation, introspection): exactly
 * one method per request (two → 400 invalid_request, RFC 6749 §2.3), and it must be the one the
 * client registered. Every failure is the same 401 invalid_client — unknown client, wrong secret,
 * wrong method, disabled client, bad or replayed assertion — so nothing says which check failed
 * (`reason` does, for the service's own logs and metrics).
 */
export async function authenticateClient(
  context: AuthenticationContext,
  request: ClientAuthenticationRequest,
  nowMs: number,
): Promise<ClientAuthentication> {
  const authorization = request.headers.authorization;
  const { params } = request;
  const presented: Method[] = [];
  if (typeof authorization === 'string' && /^basic(\s|$)/i.test(authorization))
    presented.push('basic');
  if (params.has('client_secret')) presented.push('post');
  if (params.has('client_assertion') || params.has('client_assertion_type'))
    presented.push('assertion');
  if (Array.isArray(authorization) || presented.length > 1) {
    return { ok: false, status: 400, error: 'invalid_request', reason: 'two_methods' };
  }
  const method = presented[0] ?? 'none';
  const check = await checkPresented(context, request, method, nowMs);
  if (check.ok) return check;
  return {
    ok: false,
    status: 401,
    error: 'invalid_client',
    reason: check.reason,
    ...(method === 'basic' ? { wwwAuthenticate: basicChallenge } : {}),
  };
}
