/**
 * What every answer tells a browser, pages included (platform/http/html-page.ts): never guess
 * another type, never frame it, never send the service's URLs to another site.
 */
export const browserHardeningHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Headers on every answer of the service. Its answers are JSON for programs (its few pages
 * replace the content security policy with their own, html-page.ts), so the policy allows
 * nothing at all.
 */
export function securityHeadersFor(issuer: string): Readonly<Record<string, string>> {
  return {
    ...browserHardeningHeaders,
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    // A year, and for this host only: the service cannot speak for its siblings' TLS.
    ...(issuer.startsWith('https:') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
