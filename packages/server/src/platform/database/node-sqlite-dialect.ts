import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { DatabaseUnavailableError } from './errors.ts';
import { adaptNodeSqlite } from './node-sqlite-database.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

export interface DurableCommitOptions {
  /**
   * Called once if making a commit durable failed (the fsync of the write-ahead log reported an
   * I/O error). From then on every operation is refused with `DatabaseUnavailableError`: after a
   * failed fsync the kernel may have dropped the pages it could not write, so nothing written
   * since can be trusted to be on disk. Nothing is retried; the service needs a restart.
   */
  readonly onFailure?: (error: DatabaseUnavailableError) => void;
  /**
   * Every this many writing commits, the checkpointer (a worker thread, wal-checkpointer.ts) is
   * asked to copy the write-ahead log into the database file. Default 64: a rotation dirties a
   * few pages, so that is a few hundred to a few thousand pages, about SQLite's own 1,000-page
   * auto-checkpoint, and a checkpoint's two fsyncs for every 64 of the commits'. (The log's file
   * size cannot tell: it stays at its largest after the log starts over.)
   */
  readonly walCheckpointEveryCommits?: number;
}

/**
 * SQLite's own checkpoint-in-COMMIT stays on as a backstop at this many pages (40 MiB of 4 KiB
 * pages): under unbroken load the log may not start over for a while (each checkpoint ends
 * behind the newest commit), and if the worker is gone nothing else would bound the log.
 */
const backstopPages = 10_000;
/** SQLite's default auto-checkpoint point, restored when the worker is gone. */
const sqliteCheckpointPages = 1000;

/**
 * Kysely's SQLite dialect over `node:sqlite`, with one change: a transaction's COMMIT does not
 * make the caller's event loop wait for the disk.
 *
 * With `synchronous = FULL`, SQLite fsyncs the write-ahead log inside COMMIT, and `DatabaseSync`
 * runs COMMIT on the calling thread, so every group commit stopped the event loop for an fsync
 * (most of the refresh path's main-thread time). Here a transaction runs with
 * `synchronous = NORMAL` — its COMMIT writes the log without syncing it — and the commit then
 * fdatasyncs the log on libuv's threadpool and resolves only when that returned. Kysely's
 * SQLite adapter declares one connection, and a transaction holds it until its commit resolved,
 * so nothing else uses the connection in between: every caller of this process, in a
 * transaction or not, sees a commit only once it is durable, as with FULL. Statements outside a
 * transaction run with FULL, as before (SQLite syncs inside them).
 *
 * Durability per answer is FULL's: the commit's frames are in the log, and the log is synced
 * before anyone is told. (SQLite syncs the log itself before each checkpoint, the database file
 * after it, and a restarted log's header, in NORMAL as in FULL.) Checkpoints run on a worker
 * thread with its own connection (wal-checkpointer.ts), asked every so many writing commits, so
 * the copy into the database file and its two fsyncs never run inside a COMMIT on the event
 * loop; SQLite's own checkpoint in COMMIT stays as a backstop. What differs is what *another
 * process* on the same file can see: it may read a commit up to one fsync (≈0.2 ms) before it is
 * on disk, where with FULL it could not — a power loss in that window loses a commit another
 * process has already read. Nothing this process answered is lost.
 */
export class NodeSqliteDialect implements Dialect {
  readonly #database: OpenedDatabase;
  readonly #options: DurableCommitOptions;

  constructor(database: OpenedDatabase, options: DurableCommitOptions = {}) {
    this.#database = database;
    this.#options = options;
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createDriver(): Driver {
    return new DurableCommitDriver(this.#database, this.#options);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
}

/** Statements that cannot change the database: a transaction of only these has nothing to sync. */
const readOnlyStatement = /^\s*select\b/i;

class NodeSqliteConnection implements DatabaseConnection {
  readonly #statements: SqliteDatabase;
  readonly #usable: () => void;
  /** Whether a statement that may write ran since `trackWrites()`; anything but a SELECT counts. */
  #mayHaveWritten = false;

  constructor(statements: SqliteDatabase, usable: () => void) {
    this.#statements = statements;
    this.#usable = usable;
  }

  run(sql: string): void {
    this.#usable();
    this.#statements.prepare(sql).run([]);
  }

  /**
   * For ending a transaction: it must succeed even once the database has failed, or Kysely
   * would keep the connection locked for a transaction that can never end.
   */
  runToEnd(sql: string): void {
    this.#statements.prepare(sql).run([]);
  }

  /** Starts counting, at a transaction's BEGIN, whether it may write. */
  trackWrites(): void {
    this.#mayHaveWritten = false;
  }

  get mayHaveWritten(): boolean {
    return this.#mayHaveWritten;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    this.#usable();
    if (!readOnlyStatement.test(compiledQuery.sql)) this.#mayHaveWritten = true;
    const statement = this.#statements.prepare(compiledQuery.sql);
    if (statement.reader) return { rows: statement.all(compiledQuery.parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(compiledQuery.parameters);
    return {
      insertId: BigInt(lastInsertRowid),
      numAffectedRows: BigInt(changes),
      rows: [],
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is refused, as nothing here streams.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('this SQLite driver does not stream query results');
  }
}

/** An open connection and the path it was opened with (its log is `<path>-wal`). */
export interface OpenedDatabase {
  readonly database: DatabaseSync;
  readonly path: string;
}

class DurableCommitDriver implements Driver {
  readonly #opened: OpenedDatabase;
  readonly #options: DurableCommitOptions;
  #database: DatabaseSync | undefined;
  #checkpointer: WalCheckpointer | undefined;
  #checkpointEvery = 64;
  /** Writing commits since the checkpointer was last asked. */
  #commitsSinceCheckpoint = 0;
  #connection: NodeSqliteConnection | undefined;
  #connectionHeld = false;
  /** The write-ahead log, when the database has one (not `:memory:`); opened at the first commit. */
  #walPath: string | undefined;
  #wal: { fd: number; ino: number } | undefined;
  #failure: DatabaseUnavailableError | undefined;

  constructor(opened: OpenedDatabase, options: DurableCommitOptions) {
    this.#opened = opened;
    this.#options = options;
  }

  async init(): Promise<void> {
    const { database, path } = this.#opened;
    const mode = database.prepare('PRAGMA journal_mode').get() as { journal_mode?: string };
    this.#database = database;
    this.#walPath = mode.journal_mode === 'wal' ? `${path}-wal` : undefined;
    if (this.#walPath !== undefined) {
      const every = this.#options.walCheckpointEveryCommits ?? 64;
      if (!Number.isInteger(every) || every < 1) {
        throw new RangeError('walCheckpointEveryCommits must be a positive integer');
      }
      this.#checkpointEvery = every;
      database.exec(`PRAGMA wal_autocheckpoint = ${backstopPages}`);
      this.#checkpointer = new WalCheckpointer(path, () => {
        // Without the worker, SQLite checkpoints in COMMIT again, at its usual point.
        this.#checkpointer = undefined;
        if (this.#database?.isOpen === true) {
          this.#database.exec(`PRAGMA wal_autocheckpoint = ${sqliteCheckpointPages}`);
        }
      });
    }
    this.#connection = new NodeSqliteConnection(adaptNodeSqlite(database), () => {
      if (this.#failure !== undefined) throw this.#failure;
    });
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // Never refused here, even once failed: Kysely holds its connection lock across this call
    // and would not release it. The connection refuses every statement instead.
    if (this.#connection === undefined) throw new Error('the database is not open');
    // Kysely's driver wrapper lets one caller at a time hold the connection (SqliteAdapter says
    // it has no other; a transaction holds it until its commit is durable): a statement outside
    // a transaction can never run inside one. Checked, since a change there would otherwise
    // show only as lost or early-answered writes.
    if (this.#connectionHeld) throw new Error('the SQLite connection was acquired while held');
    this.#connectionHeld = true;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as NodeSqliteConnection;
    if (this.#walPath === undefined) {
      sqlite.run('BEGIN');
      return;
    }
    sqlite.run('PRAGMA synchronous = NORMAL');
    try {
      sqlite.run('BEGIN');
      sqlite.trackWrites();
    } catch (error) {
      sqlite.runToEnd('PRAGMA synchronous = FULL');
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as NodeSqliteConnection;
    if (this.#walPath === undefined) {
      sqlite.run('COMMIT');
      return;
    }
    try {
      sqlite.run('COMMIT');
    } finally {
      // A COMMIT that failed with the transaction still open (SQLITE_BUSY) is rolled back by
      // the caller, which restores FULL; one that ended it restores FULL here, so no later
      // statement outside a transaction runs without its sync.
      if (this.#database?.isTransaction !== true) sqlite.runToEnd('PRAGMA synchronous = FULL');
    }
    // A transaction of reads only (a client re-checked inside the unit that mints its token)
    // added nothing to the log: there is nothing of its own to make durable, and syncing for it
    // would put every such request behind an fsync.
    if (sqlite.mayHaveWritten) await this.#syncLog(this.#walPath);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as NodeSqliteConnection;
    // SQLite may have rolled back by itself already (SQLITE_FULL, SQLITE_IOERR…).
    if (this.#database?.isTransaction === true) sqlite.runToEnd('ROLLBACK');
    if (this.#walPath !== undefined) sqlite.runToEnd('PRAGMA synchronous = FULL');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NodeSqliteConnection).run(`SAVEPOINT ${savepointName(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NodeSqliteConnection).run(`ROLLBACK TO ${savepointName(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NodeSqliteConnection).run(`RELEASE ${savepointName(name)}`);
  }

  async releaseConnection(): Promise<void> {
    // One connection, kept for the life of the driver.
    this.#connectionHeld = false;
  }

  async destroy(): Promise<void> {
    const checkpointer = this.#checkpointer;
    this.#checkpointer = undefined;
    await checkpointer?.close();
    if (this.#wal !== undefined) closeSync(this.#wal.fd);
    this.#wal = undefined;
    this.#database?.close();
    this.#database = undefined;
  }

  /** fdatasync of the write-ahead log on the threadpool; a failure fails the database. */
  async #syncLog(walPath: string): Promise<void> {
    try {
      // The log file stays the same while this connection is open; checked anyway (an inode
      // number, one stat), since syncing a replaced file would prove nothing.
      const ino = statSync(walPath).ino;
      if (this.#wal?.ino !== ino) {
        if (this.#wal !== undefined) closeSync(this.#wal.fd);
        this.#wal = undefined;
        const fd = openSync(walPath, 'r');
        this.#wal = { fd, ino: fstatSync(fd).ino };
      }
      const { fd } = this.#wal;
      await new Promise<void>((resolve, reject) => {
        fdatasync(fd, (error) => (error === null ? resolve() : reject(error)));
      });
      // Asked only once this commit is durable: the worker copies what the log holds.
      this.#commitsSinceCheckpoint += 1;
      if (this.#commitsSinceCheckpoint >= this.#checkpointEvery && this.#checkpointer) {
        this.#commitsSinceCheckpoint = 0;
        this.#checkpointer.request();
      }
    } catch (cause) {
      if (this.#failure === undefined) {
        this.#failure = new DatabaseUnavailableError(
          'making a commit durable failed: every database operation is refused until the service restarts',
          { cause },
        );
        this.#options.onFailure?.(this.#failure);
      }
      throw this.#failure;
    }
  }
}

/** Kysely passes its own savepoint names; refused unless a plain identifier, then quoted. */
function savepointName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error('invalid savepoint name');
  return `"${name}"`;
}
