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
