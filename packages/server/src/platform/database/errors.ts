import { WritError } from '../errors.ts';

/**
 * The database cannot be used any more: making a commit durable failed. Every operation is
 * refused from then on; the service fails closed and says so (the readiness check answers 503)
 * until it is restarted.
 */
export class DatabaseUnavailableError extends WritError<'ERR_DATABASE_UNAVAILABLE'> {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'ERR_DATABASE_UNAVAILABLE';
}

/**
 * A unit of work used the database itself (`db.<store>.<method>()` or `db.transaction()`)
 * instead of its `tx`. The database has one connection, held by the unit's group transaction
 * until the group commits, and the group waits for the unit: the call could only wait forever,
 * and every later database call with it. Refused at once instead, in every mode, so a test
 * finds the call site. The message names the store and method, never SQL or values.
 */
export class DatabaseUsedInsideUnitError extends WritError<'ERR_DATABASE_USED_INSIDE_UNIT'> {
  override readonly name = 'DatabaseUsedInsideUnitError';
  readonly code = 'ERR_DATABASE_USED_INSIDE_UNIT';
}
