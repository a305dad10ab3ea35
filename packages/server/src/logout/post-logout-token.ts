/** Why a delivery failed: stable codes for the outbox's `last_error`, never a body or a token. */
export type DeliveryFailure =
  | 'timeout'
  | 'network'
  | 'redirect'
  | `http_${number}`
  /** The service could not sign the token (its own fault, reported to the operator's log). */
  | 'signing_failed';

export type DeliveryOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: DeliveryFailure };

/**
 * POSTs `logout_token=…` form-encoded to a relying party's back-channel logout URI (§2.5).
 * 2xx is success (§2.8 says 200; some frameworks answer 204). A redirect is never followed: the
 * URI the client registered is the only one ever called, and a 3xx from it is a failure. The
 * body is never read (the spec gives it nothing we act on): it is cancelled, so a relying party
 * cannot make the service download anything. Bounded in time as a whole (connect, headers).
 */
export async function postLogoutToken(
  uri: string,
  logoutToken: string,
  timeoutMs: number,
): Promise<DeliveryOutcome> {
  let response: Response;
  try {
    response = await fetch(uri, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'cache-control': 'no-store',
      },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return {
      ok: false,
      failure: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network',
    };
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { ok: true };
  if (response.status >= 300 && response.status < 400) return { ok: false, failure: 'redirect' };
  return { ok: false, failure: `http_${response.status}` };
}
