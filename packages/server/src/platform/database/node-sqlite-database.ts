import type { DatabaseSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type SqliteValue = null | number | bigint | string | NodeJS.ArrayBufferView;

function bind(parameters: ReadonlyArray<unknown>): SqliteValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SqliteValue;
  });
}

/** Far above the few dozen statements the service uses. */
const maxCachedStatements = 500;

/**
 * Presents `node:sqlite` (built into Node, no native addon to compile) as the
 * better-sqlite3-shaped database Kysely's SQLite dialect drives.
 */
export function adaptNodeSqlite(database: DatabaseSync): SqliteDatabase {
  // Prepared once per SQL text for the life of the connection, together with whether it reads
  // rows (`columns()` allocates each call: asked once, not per execution).
  const statements = new Map<string, SqliteStatement>();
  const prepare = (query: string): SqliteStatement => {
    const statement = database.prepare(query);
    return {
      // A statement that yields columns reads rows; Kysely needs to know which call to make.
      reader: statement.columns().length > 0,
      all: (parameters) => statement.all(...bind(parameters)),
      run: (parameters) => statement.run(...bind(parameters)),
      iterate: (parameters) => statement.iterate(...bind(parameters)),
    };
  };
  return {
    close: () => database.close(),
    prepare(query): SqliteStatement {
      let statement = statements.get(query);
      if (statement === undefined) {
        statement = prepare(query);
        // Bounded: SQL that inlined a value would otherwise add a statement per call, forever.
        // The oldest goes first (a Map iterates in insertion order); the hot ones are re-made.
        if (statements.size >= maxCachedStatements) {
          statements.delete(statements.keys().next().value as string);
        }
        statements.set(query, statement);
      }
      return statement;
    },
  };
}
