import type { ClientRecord, GrantType } from '../clients/client-record.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';

/**
 * One grant of `POST /oauth/token` (RFC 6749 §4): the endpoint has parsed the form, refused
 * duplicate parameters, authenticated the client and checked a DPoP proof if one came; a grant
 * only decides what the parameters of its own `grant_type` are worth.
 */
export interface TokenRequest {
  readonly params: ReadonlyMap<string, string>;
  readonly client: ClientRecord;
  /** Thumbprint (RFC 7638) of the key of a valid DPoP proof sent with this request, if any. */
  readonly dpopJkt: string | undefined;
  readonly origin: RequestOrigin;
}

/** The successful answer (RFC 6749 §5.1), exactly as it goes on the wire. */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** Error codes a grant may answer with (RFC 6749 §5.2, RFC 8707 §2, RFC 9449 §5 / §8). */
export type GrantError =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

export type GrantOutcome =
  | { readonly ok: true; readonly body: TokenResponseBody }
  | {
      readonly ok: false;
      readonly error: GrantError;
      /** Fixed text, never echoing input. */
      readonly description: string;
    };

export interface TokenGrant {
  readonly grantType: GrantType;
  exchange(request: TokenRequest): Promise<GrantOutcome>;
}
