import type { Kysely } from 'kysely';
import { WritError } from '../errors.ts';
import type { DurableCommitOptions } from './node-sqlite-dialect.ts';
import { openSqlite } from './open-sqlite.ts';

export class DatabaseUrlError extends WritError<'ERR_DATABASE_URL_UNSUPPORTED'> {
  override readonly name = 'DatabaseUrlError';
  readonly code = 'ERR_DATABASE_URL_UNSUPPORTED';
}

/** Opens the database a URL names. */
export function openDatabase<Tables>(
  databaseUrl: string,
  options: DurableCommitOptions = {},
): Kysely<Tables> {
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new DatabaseUrlError(
      'unsupported database URL: only sqlite:<path> is available in this version',
    );
  }
  return openSqlite<Tables>(databaseUrl.slice('sqlite:'.length), options);
}
