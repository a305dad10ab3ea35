/**
 * oidc-provider 9 (its npm package, configured here, nothing copied from its repository) as a
 * benchmark contender, run as a child process of `refresh.ts` (never on its own):
 *
 * - `refresh_token` grant with rotation (`rotateRefreshToken: true`), JWT access tokens;
 * - `client_credentials` grant, RFC 9068 JWT access tokens through `resourceIndicators`;
 *
 * both signed with an Ed25519 key (EdDSA, as Writ signs), client authentication
 * `client_secret_basic`. Storage is its own `MemoryAdapter` over an LRU of 2,000,000 entries:
 * the default LRU holds about 1,000 entries and pre-minted tokens would vanish from it.
 * Refresh tokens are minted in this process through its models (a Grant and a RefreshToken per
 * token) and handed out on a side listener on another port.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import type { ContenderCommand } from './contender-protocol.ts';
import { cpuMessage, parseMintCount, sendToParent } from './contender-protocol.ts';
import { oidcBench } from './oidc-settings.ts';

if (process.send === undefined) {
  throw new Error('oidc-contender.ts is started by bench/server/refresh.ts, not on its own');
}
const send = sendToParent;

const lruEntries = 2_000_000;
const store = new LRU({ maxSize: lruEntries });
const { privateKey } = generateKeyPairSync('ed25519');
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'EdDSA' };

const server = createServer();
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const port = (server.address() as AddressInfo).port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: (name: string) => new MemoryAdapter(name, store),
  clients: [
    {
      client_id: oidcBench.clientId,
      client_secret: oidcBench.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: ['https://rp.example/callback'],
      id_token_signed_response_alg: 'EdDSA',
      scope: 'api',
    },
  ],
  jwks: { keys: [signingJwk] },
  enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
  scopes: ['openid', 'offline_access', 'api'],
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    Grant: 14 * 24 * 3600,
    RefreshToken: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => oidcBench.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: oidcBench.resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'EdDSA' } },
      }),
    },
  },
  findAccount: (_ctx: unknown, accountId: string) => ({
    accountId,
    claims: () => ({ sub: accountId }),
  }),
});
provider.on('server_error', (_ctx: unknown, error: Error) => {
  console.error(`oidc-provider server_error: ${error.message}`);
});
server.on('request', provider.callback());

const client = await provider.Client.find(oidcBench.clientId);
if (client === undefined) throw new Error('bench client missing');

/**
 * One grant per token, as Writ has one session per token: a reused token revokes only its own
 * grant, and no grant grows a member list that every rotation in it would walk.
 */
async function mint(count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const grant = new provider.Grant({ accountId: 'bench-account', clientId: oidcBench.clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(oidcBench.resource, 'api');
    const token = new provider.RefreshToken({
      accountId: 'bench-account',
      client,
      grantId: await grant.save(),
      gty: 'authorization_code',
      scope: 'offline_access api',
      resource: oidcBench.resource,
    });
    tokens.push(await token.save());
  }
  return tokens;
}

const side = createServer((request, response) => {
  const count = parseMintCount(request.url);
  if (request.method !== 'GET' || count === undefined) {
    response.writeHead(404).end();
    return;
  }
  mint(count).then(
    (tokens) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens));
    },
    (error: unknown) => {
      console.error(`oidc contender: minting failed: ${String(error)}`);
      response.writeHead(500).end();
    },
  );
});
side.listen(0, '127.0.0.1');
await new Promise((resolve) => side.once('listening', resolve));

send({
  type: 'listening',
  port,
  mintPort: (side.address() as AddressInfo).port,
  notes: [
    `oidc-provider in memory: its MemoryAdapter over an LRU of ${lruEntries.toLocaleString('en')} entries (the default holds ~1,000)`,
    'refresh_token: rotateRefreshToken true, JWT access token (EdDSA); client_credentials: RFC 9068 JWT (EdDSA) via resourceIndicators',
  ],
});

function close(): void {
  side.close();
  server.close();
  server.closeAllConnections();
}

process.on('message', (command: ContenderCommand) => {
  if (command.type === 'cpu') send(cpuMessage());
  else if (command.type === 'close') {
    close();
    process.disconnect();
  }
});
process.on('disconnect', close);
