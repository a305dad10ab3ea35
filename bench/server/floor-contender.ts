/**
 * The floor of a token endpoint on this stack, as a benchmark contender run by
 * `oauth-token.ts` (never on its own): bare Fastify (the version Writ uses), nothing of Writ's.
 *
 * - `POST /plain`: reads the form body and answers a fixed JSON body of a token response's size
 *   with `Cache-Control: no-store`: what Node, Fastify and the load generator cost per request.
 * - `POST /jwt`: the least a `client_credentials` endpoint that issues an EdDSA JWT must do — the
 *   form read, the `client_secret_basic` secret hashed (SHA-256) and compared in constant time,
 *   the claims (a fresh `jti`) encoded, one Ed25519 signature on the libuv threadpool as Writ
 *   signs, the JSON answer — with no lookup, policy, configuration or error paths.
 *
 * No endpoint can be ahead of `/jwt` by much on the same machine, so the ratio of `/jwt` to
 * oidc-provider, printed beside the targets, bounds how far ahead of oidc-provider any Fastify
 * token endpoint can be here.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import type { ContenderCommand } from './contender-protocol.ts';
import { cpuMessage, sendToParent } from './contender-protocol.ts';
import { oidcBench } from './oidc-settings.ts';

if (process.send === undefined) {
  throw new Error('floor-contender.ts is started by bench/server/oauth-token.ts, not on its own');
}

const { privateKey } = generateKeyPairSync('ed25519');
const secretHash = createHash('sha256').update(oidcBench.clientSecret).digest();
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'floor' })).toString(
  'base64url',
);
// A token response of the size Writ's is (an EdDSA RFC 9068 token is ~540 characters).
const fixedAnswer = {
  access_token: 'x'.repeat(540),
  token_type: 'Bearer',
  expires_in: 600,
  scope: 'api',
};

const app = Fastify({ logger: false });
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string' },
  (_request, body, done) => done(null, new URLSearchParams(String(body))),
);
app.post('/plain', async (_request, reply) =>
  reply.header('cache-control', 'no-store').send(fixedAnswer),
);
app.post('/jwt', async (request, reply) => {
  const basic = Buffer.from((request.headers.authorization ?? '').slice(6), 'base64').toString();
  const colon = basic.indexOf(':');
  const presented = createHash('sha256')
    .update(basic.slice(colon + 1))
    .digest();
  if (colon < 0 || !timingSafeEqual(presented, secretHash)) {
    return reply.code(401).send({ error: 'invalid_client' });
  }
  const params = request.body as URLSearchParams;
  const iat = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'http://127.0.0.1',
      sub: basic.slice(0, colon),
      aud: oidcBench.resource,
      iat,
      nbf: iat,
      exp: iat + 600,
      jti: randomBytes(16).toString('base64url'),
      client_id: basic.slice(0, colon),
      scope: params.get('scope') ?? 'api',
    }),
  ).toString('base64url');
  const signingInput = `${header}.${payload}`;
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign(null, Buffer.from(signingInput), privateKey, (error, value) =>
      error ? reject(error) : resolve(value),
    ),
  );
  return reply.header('cache-control', 'no-store').send({
    access_token: `${signingInput}.${signature.toString('base64url')}`,
    token_type: 'Bearer',
    expires_in: 600,
    scope: params.get('scope') ?? 'api',
  });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no port');

sendToParent({
  type: 'listening',
  port: address.port,
  mintPort: 0,
  notes: [
    `Fastify floor: /plain reads the form and answers a fixed ${JSON.stringify(fixedAnswer).length}-byte body; /jwt adds the Basic secret's SHA-256 check, a fresh jti and one Ed25519 signature (threadpool), nothing else`,
  ],
});
process.on('message', (command: ContenderCommand) => {
  if (command.type === 'cpu') sendToParent(cpuMessage());
  else if (command.type === 'close') void app.close().then(() => process.disconnect());
});
process.on('disconnect', () => void app.close());
