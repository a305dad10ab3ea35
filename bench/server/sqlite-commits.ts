/**
 * SQLite's own commit rate, as a benchmark contender run as a child process of `refresh.ts`
 * (never on its own), so it shares no event loop with the service or the load generator:
 * single-row INSERTs, each its own committed transaction, one at a time, with the pragmas the
 * service opens its database with (WAL, synchronous = FULL), in a file in the folder the parent
 * names (the same disk as the service's database).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ContenderCommand } from './contender-protocol.ts';
import { cpuMessage, sendToParent } from './contender-protocol.ts';

const folder = process.env.WRIT_BENCH_SQLITE_DIR;
if (process.send === undefined || folder === undefined) {
  throw new Error('sqlite-commits.ts is started by bench/server/refresh.ts, not on its own');
}
const send = sendToParent;

const file = join(folder, 'commit-rate.db');
const db = new DatabaseSync(file);
db.exec(`
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL, at INTEGER NOT NULL);
`);
const insert = db.prepare('INSERT INTO rows (token_hash, at) VALUES (?, ?)');
const filler = 'x'.repeat(43);

function commitFor(seconds: number): void {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let commits = 0;
  // Autocommit: each INSERT is its own transaction, so each one is a commit with its fsync.
  while (performance.now() < deadline) {
    insert.run(filler, Date.now());
    commits++;
  }
  send({ type: 'committed', commits, elapsedMs: performance.now() - start });
}

function close(): void {
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
}

send({
  type: 'ready',
  notes: [
    'SQLite commits: single-row INSERT, autocommit, WAL, synchronous = FULL, in the OS temp folder (the disk of the Writ database)',
  ],
});
process.on('message', (command: ContenderCommand) => {
  if (command.type === 'commit') commitFor(command.seconds);
  else if (command.type === 'cpu') send(cpuMessage());
  else if (command.type === 'close') {
    close();
    process.disconnect();
  }
});
process.on('disconnect', () => {
  if (db.isOpen) close();
});
