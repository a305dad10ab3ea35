/**
 * Writ's token service as a benchmark contender, run as a child process of `refresh.ts` (never
 * on its own): the real service on a temporary SQLite file with its defaults (WAL,
 * `synchronous = FULL`), plus a side listener on another port that mints refresh tokens for
 * fresh sessions in batches. Minting skips the password check on purpose: the benchmark measures
 * rotation, and one Argon2id check per pooled token would take minutes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomId } from '../../packages/server/src/platform/crypto/random.ts';
import { issueTokens } from '../../packages/server/src/sessions/issue-tokens.ts';
import type { SessionRecord } from '../../packages/server/src/sessions/session-record.ts';
import type { ContenderCommand } from './contender-protocol.ts';
import { cpuMessage, parseMintCount, sendToParent } from './contender-protocol.ts';
import { startTempService } from './temp-service.ts';

if (process.send === undefined) {
  throw new Error('writ-contender.ts is started by bench/server/refresh.ts, not on its own');
}
const send = sendToParent;

const service = await startTempService();
const email = 'bench@example.com';
await service.addUser(email, 'correct horse battery staple');
const user = await service.context.db.users.findByEmail(email);
if (user === undefined) throw new Error('bench user missing');
const userId = user.id;

/** Tokens per transaction: one commit per batch keeps minting far faster than the rotations. */
const batch = 500;

async function mint(count: number): Promise<string[]> {
  const { context } = service;
  const tokens: string[] = [];
  while (tokens.length < count) {
    const size = Math.min(batch, count - tokens.length);
    const minted = await context.db.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < size; i++) {
        const now = context.clock.nowMs();
        const session: SessionRecord = {
          id: randomId('ses'),
          userId,
          mode: 'body',
          createdAt: now,
          lastUsedAt: now,
          idleExpiresAt: now + context.config.sessionIdleTtlSec * 1000,
          absoluteExpiresAt: now + context.config.sessionAbsoluteTtlSec * 1000,
          revokedAt: null,
          ip: '127.0.0.1',
          userAgent: 'bench',
        };
        await tx.sessions.create(session);
        out.push((await issueTokens(context, tx, session)).refreshToken);
      }
      return out;
    });
    tokens.push(...minted);
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
      console.error(`writ contender: minting failed: ${String(error)}`);
      response.writeHead(500).end();
    },
  );
});
side.listen(0, '127.0.0.1');
await new Promise((resolve) => side.once('listening', resolve));

send({
  type: 'listening',
  port: Number(new URL(service.url).port),
  mintPort: (side.address() as AddressInfo).port,
  notes: [`Writ on SQLite in ${service.dataDir}, WAL, synchronous = FULL (the service defaults)`],
});

async function close(): Promise<void> {
  side.close();
  await service.destroy();
}

process.on('message', (command: ContenderCommand) => {
  if (command.type === 'cpu') send(cpuMessage());
  else if (command.type === 'close') void close().then(() => process.disconnect());
});
process.on('disconnect', () => {
  void close();
});
