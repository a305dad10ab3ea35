/**
 * Revocation propagation: time from the sign-out response to the moment each of 3 resource
 * servers (separate processes, each with its own mirror following the SSE stream) refuses the
 * token. Measured from outside, by polling each resource server every millisecond or so, so
 * the figures include the poll's own granularity.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runCommand,
  startProcess,
  waitUntilHealthy,
} from '../../packages/server/test/support/processes.ts';
import { freePort } from '../../test/support/loopback.ts';
import { percentile, verdict } from '../verify/stats.ts';

const quick = process.argv.includes('--quick');
const iterations = quick ? 10 : 100;
const consumers = 3;
const targetP99Ms = 250;
const password = 'correct horse battery staple';
const audience = 'https://api.writ.test';
const cli = 'packages/server/src/cli/main.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'writ-bench-propagation-'));
const port = await freePort();
const serviceUrl = `http://127.0.0.1:${port}`;
const env = {
  WRIT_DATA_DIR: dataDir,
  WRIT_PORT: String(port),
  WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
  WRIT_AUDIENCE: audience,
  WRIT_LOG_LEVEL: 'warn',
};
await runCommand(cli, ['user', 'add', 'bench@example.com'], env, `${password}\n`);
const consumerKey = (await runCommand(cli, ['consumer', 'add', 'bench'], env)).stdout.trim();
const service = startProcess(cli, ['start'], env);
await waitUntilHealthy(`${serviceUrl}/health`);

const apis = await Promise.all(
  Array.from({ length: consumers }, async () => {
    const apiPort = await freePort();
    const process = startProcess('examples/resource-server/src/main.ts', [], {
      WRIT_ISSUER: serviceUrl,
      WRIT_AUDIENCE: audience,
      WRIT_JWKS_URI: `${serviceUrl}/.well-known/jwks.json`,
      WRIT_REVOCATIONS_URI: serviceUrl,
      WRIT_CONSUMER_KEY: consumerKey,
      PORT: String(apiPort),
      LOG_LEVEL: 'warn',
    });
    const url = `http://127.0.0.1:${apiPort}`;
    await waitUntilHealthy(`${url}/health`);
    return { url, process };
  }),
);

const status = async (url: string, token: string) =>
  (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

const samples: number[] = [];
try {
  for (let i = 0; i < iterations; i++) {
    const signIn = await fetch(`${serviceUrl}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password }),
    });
    const token = ((await signIn.json()) as { access_token: string }).access_token;
    for (const api of apis) {
      if ((await status(api.url, token)) !== 200)
        throw new Error('a consumer refused a fresh token');
    }
    const signOut = await fetch(`${serviceUrl}/auth/sign-out`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const t0 = performance.now();
    if (signOut.status !== 204) throw new Error(`sign-out answered ${signOut.status}`);
    await Promise.all(
      apis.map(async (api) => {
        while ((await status(api.url, token)) !== 401) {
          if (performance.now() - t0 > 5000) throw new Error('not refused within 5 s');
        }
        samples.push(performance.now() - t0);
      }),
    );
  }
} finally {
  await Promise.all(apis.map((api) => api.process.stop()));
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const p50 = percentile(samples, 50);
const p99 = percentile(samples, 99);
console.log('\n## Revocation propagation: sign-out response → refused at 3 consumers\n');
console.log(
  `${iterations} sign-outs × ${consumers} consumer processes = ${samples.length} samples`,
);
console.log(
  `p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${Math.max(...samples).toFixed(1)} ms`,
);
console.log(`target p99 < ${targetP99Ms} ms: ${verdict(p99 < targetP99Ms)}`);
console.log(`\nRESULT propagation p50Ms=${p50.toFixed(1)} p99Ms=${p99.toFixed(1)}`);
