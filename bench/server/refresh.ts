/**
 * Refresh-token rotations per second on the embedded SQLite default: each rotation is one
 * transaction (compare-and-swap on the old token, insert the new one, touch the session, record
 * activity) committed with synchronous=FULL, plus signing a new access token.
 */
import { refresh } from '../../packages/server/src/sessions/refresh.ts';
import { median } from '../verify/stats.ts';
import { startTempService } from './temp-service.ts';

const quick = process.argv.includes('--quick');
const seconds = quick ? 1 : 3;
const rounds = quick ? 1 : 3;
const sessions = 16;
const password = 'correct horse battery staple';

const service = await startTempService();
await service.addUser('bench@example.com', password);

async function signIn(): Promise<string> {
  const response = await fetch(`${service.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password }),
  });
  const body = (await response.json()) as { refresh_token: string };
  return body.refresh_token;
}

/** `sessions` loops, each rotating its own session's token as fast as it can. */
async function run(rotate: (token: string) => Promise<string>): Promise<number> {
  const tokens = await Promise.all(Array.from({ length: sessions }, signIn));
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    tokens.map(async (initial) => {
      let token = initial;
      while (performance.now() < deadline) {
        token = await rotate(token);
        count++;
      }
    }),
  );
  return count / seconds;
}

const overHttp = async (token: string) => {
  const response = await fetch(`${service.url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  });
  if (response.status !== 200) throw new Error(`refresh answered ${response.status}`);
  return ((await response.json()) as { refresh_token: string }).refresh_token;
};
const inProcess = async (token: string) => {
  const result = await refresh(
    service.context,
    { refreshToken: token, transport: 'body' },
    { ip: '127.0.0.1', userAgent: 'bench' },
  );
  if (!result.ok) throw new Error('refresh failed');
  return result.tokens.refreshToken;
};

const http: number[] = [];
const direct: number[] = [];
for (let round = 0; round < rounds; round++) {
  http.push(await run(overHttp));
  direct.push(await run(inProcess));
}
await service.destroy();

console.log('\n## Refresh-token rotation on SQLite\n');
console.log(
  `${sessions} sessions rotating concurrently, ${seconds} s per run, median of ${rounds} runs`,
);
console.log(`over HTTP (POST /auth/refresh)   ${median(http).toFixed(0)} rotations/s`);
console.log(`in process (refresh())           ${median(direct).toFixed(0)} rotations/s`);
console.log(
  `\nRESULT refresh httpPerSec=${median(http).toFixed(0)} inProcessPerSec=${median(direct).toFixed(0)}`,
);
