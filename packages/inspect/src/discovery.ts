import { fetchCappedJson } from '@writ/verify/internal';
import { errorText } from './error-text.ts';
import { isJsonObject, own } from './record.ts';
import { parseRemoteUrl } from './remote-url.ts';

/** Limits on the metadata download; a misbehaving server must not hang or flood the CLI. */
export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export const defaultFetchLimits: FetchLimits = { timeoutMs: 5000, maxBytes: 64 * 1024 };

export type Discovery =
  | { readonly ok: true; readonly metadataUrl: string; readonly jwksUri: string }
  | {
      readonly ok: false;
      readonly reason: 'invalid_option' | 'metadata_unavailable' | 'metadata_mismatch';
      readonly detail: string;
    };

/** Where an issuer's metadata lives: the well-known path appended to the issuer. */
export function metadataUrlOf(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`;
}

/**
 * Finds an issuer's `jwks_uri` from its authorization server metadata (RFC 8414). The document
 * must name the same issuer exactly (§3.3): otherwise one server could publish keys for another.
 */
export async function discoverJwksUri(
  issuer: string,
  limits: FetchLimits = defaultFetchLimits,
): Promise<Discovery> {
  const issuerUrl = parseRemoteUrl(issuer, '--issuer');
  if (typeof issuerUrl === 'string') {
    return { ok: false, reason: 'invalid_option', detail: issuerUrl };
  }
  const metadataUrl = metadataUrlOf(issuer);
  let metadata: unknown;
  try {
    metadata = (await fetchCappedJson(new URL(metadataUrl), limits)).body;
  } catch (error) {
    return {
      ok: false,
      reason: 'metadata_unavailable',
      detail: `${metadataUrl}: ${errorText(error)}`,
    };
  }
  if (!isJsonObject(metadata)) {
    return {
      ok: false,
      reason: 'metadata_unavailable',
      detail: `${metadataUrl} is not a JSON object`,
    };
  }
  if (own(metadata, 'issuer') !== issuer) {
    return {
      ok: false,
      reason: 'metadata_mismatch',
      detail: `${metadataUrl} names a different issuer than --issuer (RFC 8414 §3.3 requires the same)`,
    };
  }
  const jwksUri = own(metadata, 'jwks_uri');
  if (typeof jwksUri !== 'string' || jwksUri === '') {
    return { ok: false, reason: 'metadata_unavailable', detail: `${metadataUrl} has no jwks_uri` };
  }
  return { ok: true, metadataUrl, jwksUri };
}
