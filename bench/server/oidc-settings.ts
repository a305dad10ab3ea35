/** What the load generator and the oidc-provider contender agree on. */
export const oidcBench = {
  clientId: 'bench-client',
  /** A benchmark's throwaway client, on loopback only. */
  clientSecret: 'bench-client-secret-not-a-real-one',
  resource: 'https://api.writ.test',
} as const;

export const oidcBasicAuth = `Basic ${Buffer.from(
  `${encodeURIComponent(oidcBench.clientId)}:${encodeURIComponent(oidcBench.clientSecret)}`,
).toString('base64')}`;
