export interface AuthorizationRequestsTables {
  authorization_requests: AuthorizationRequestsTable;
}

/**
 * An authorization request validated and held server-side under a random handle (stored as its
 * SHA-256): a pushed request (RFC 9126, `request_uri`). `purpose` names the kind, so another
 * kind of held request needs no new table. Times in ms.
 */
export interface AuthorizationRequestsTable {
  handle_hash: string;
  purpose: 'pushed';
  client_id: string;
  /** The validated request as JSON (authorization-request.ts). */
  request: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}
