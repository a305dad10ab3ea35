// Runs inside a throwaway project that installed the packed tarballs, on the Node version under
// test: plain JavaScript, because Node 22 before 22.18 cannot run TypeScript and no Node strips
// types under node_modules. Exits 0 and prints one "ok …" line per step, or throws.
//
//   node smoke.js verify   @writ/core + @writ/verify (+ the node:http adapter) on their own
//   node smoke.js inspect  @writ/inspect's `writ-inspect` bin on its own
//   node smoke.js service  also @writ/server's `writ` CLI (`writ inspect` too) and service, and
//                          @writ/client
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidTokenError } from '@writ/core';
import { createVerifier } from '@writ/verify';
import { createNodeAuthenticator } from '@writ/verify/node';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const mode = process.argv[2];
const issuer = 'https://auth.smoke.example';
const audience = 'https://api.smoke.example';

function check(condition, what) {
  if (!condition) throw new Error(`smoke check failed: ${what}`);
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

async function verifyOnItsOwn() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const token = await new SignJWT({ scope: 'read' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('usr_smoke')
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  const verifier = createVerifier({ issuer, audience, jwks: { keys: [jwk] } });
  const { claims } = await verifier.verify(token);
  check(claims.sub === 'usr_smoke', 'a valid token verifies');
  const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
  const refusal = await verifier.verify(forged).catch((error) => error);
  check(refusal instanceof InvalidTokenError, 'a forged token is refused with InvalidTokenError');

  const authenticate = createNodeAuthenticator(verifier);
  const server = createServer(async (request, response) => {
    const auth = await authenticate(request, response);
    if (auth !== undefined) response.end(auth.claims.sub);
  });
  const url = await listen(server);
  const ok = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
  check(ok.status === 200 && (await ok.text()) === 'usr_smoke', 'the node adapter lets it in');
  const refused = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${forged}` } });
  check(refused.status === 401, 'the node adapter answers 401 to a forged token');
  server.close();
  console.log(`ok verify on Node ${process.versions.node}`);
}

function runStatus(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
    // A command that stops reading at its cap closes stdin early: EPIPE here is the point.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** `<bin…> inspect`-style runs of the installed command: verified, forged, from stdin, capped. */
async function inspectWith(command, label) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const dir = mkdtempSync(join(tmpdir(), 'writ-smoke-inspect-'));
  try {
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    const token = await new SignJWT({ scope: 'read', client_id: 'smoke' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('usr_smoke')
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('5m')
      .sign(privateKey);
    const verified = await runStatus([...command, token, '--jwks', jwksFile]);
    check(
      verified.code === 0 && verified.stdout.includes('✓ verified'),
      `${label} verifies a token`,
    );
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    const refused = await runStatus([...command, forged, '--jwks', jwksFile]);
    check(refused.code === 1, `${label} exits 1 on a forged token`);
    const piped = await runStatus([...command, '-', '--json'], `${token}\n`);
    check(piped.code === 0 && JSON.parse(piped.stdout).exitCode === 0, `${label} - reads stdin`);
    const flood = await runStatus([...command, '-'], Buffer.alloc(1024 * 1024, 0x41));
    check(flood.code === 2, `${label} refuses 1 MiB of stdin`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`ok ${label} on Node ${process.versions.node}`);
}

function run(args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`writ ${args.slice(1).join(' ')} exited ${code}: ${stderr}`));
    });
    child.stdin.end(input ?? '');
  });
}

async function untilHealthy(url) {
  for (let attempt = 0; attempt < 150; attempt++) {
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the token service did not become healthy');
}

async function serviceEndToEnd() {
  const { createWritClient } = await import('@writ/client');
  // The CLI as installed, what `npx writ` runs: the bin link into the compiled package.
  const cli = join(import.meta.dirname, 'node_modules', '.bin', 'writ');
  const dataDir = mkdtempSync(join(tmpdir(), 'writ-smoke-'));
  const probe = createServer();
  const serviceUrl = await listen(probe);
  probe.close();
  const env = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: new URL(serviceUrl).port,
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_AUDIENCE: audience,
    WRIT_LOG_LEVEL: 'warn',
  };
  const password = 'correct horse battery staple';
  const created = await run([cli, 'user', 'add', 'smoke@example.com'], env, `${password}\n`);
  check(/created user usr_/.test(created), 'writ user add creates a user');
  const consumerKey = (await run([cli, 'consumer', 'add', 'smoke-api'], env)).trim();
  check(consumerKey.startsWith('wck_'), 'writ consumer add prints a consumer key');

  const service = spawn(process.execPath, [cli, 'start'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await untilHealthy(serviceUrl);
    const verifier = createVerifier({
      issuer: serviceUrl,
      audience,
      jwksUri: `${serviceUrl}/.well-known/jwks.json`,
      revocations: { uri: serviceUrl, credentials: consumerKey },
    });
    let seen;
    const api = createServer(async (request, response) => {
      seen = request.headers.authorization?.slice('Bearer '.length);
      response.end();
    });
    const apiUrl = await listen(api);
    const client = createWritClient({ issuer: serviceUrl, mode: 'body', allowedOrigins: [apiUrl] });
    await client.signIn('smoke@example.com', password);
    await client.fetch(`${apiUrl}/me`);
    api.close();
    check(typeof seen === 'string', 'the client sends its access token');
    const { claims } = await verifier.verify(seen);
    check(claims.sub.startsWith('usr_'), "the service's token verifies against its JWKS");
    await client.signOut();
    let refused = false;
    for (let attempt = 0; attempt < 100 && !refused; attempt++) {
      refused = await verifier.verify(seen).then(
        () => false,
        (error) => error instanceof InvalidTokenError,
      );
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    check(refused, 'after sign-out the revocation mirror refuses the token within a second');
    await verifier.close();
    await inspectWith([cli, 'inspect'], 'writ inspect');
    console.log(`ok service on Node ${process.versions.node}`);
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (mode === 'verify') await verifyOnItsOwn();
else if (mode === 'inspect') {
  await inspectWith([join(import.meta.dirname, 'node_modules', '.bin', 'writ-inspect')], 'inspect');
} else if (mode === 'service') await serviceEndToEnd();
else throw new Error('usage: node smoke.js verify|inspect|service');
