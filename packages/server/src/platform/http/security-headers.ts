/**
 * Headers on every answer of the service. Its answers are JSON for programs, never pages, so a
 * browser is told not to guess another type, never to frame one, and never to send the
 * service's URLs (which may name a session) to another site.
 */
export function securityHeadersFor(issuer: string): Readonly<Record<string, string>> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    // A year, and for this host only: the service cannot speak for its siblings' TLS.
    ...(issuer.startsWith('https:') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
