import type { ActivityTables } from '../activity/activity-table.ts';
import type { ApiKeysTables } from '../api-keys/api-keys-table.ts';
import type { AuthorizationCodesTables } from '../authorize/authorization-codes-table.ts';
import type { AuthorizationRequestsTables } from '../authorize/authorization-requests-table.ts';
import type { ClientsTables } from '../clients/clients-table.ts';
import type { SigningKeysTables } from '../keys/signing-keys-table.ts';
import type { BackchannelLogoutsTables } from '../logout/backchannel-logouts-table.ts';
import type { PhantomTokensTables } from '../oauth/phantom-tokens-table.ts';
import type { RefreshTokensTables } from '../refresh-tokens/refresh-tokens-table.ts';
import type { RevocationsTables } from '../revocation/revocations-table.ts';
import type { SessionsTables } from '../sessions/sessions-table.ts';
import type { ThrottlesTables } from '../throttle/throttles-table.ts';
import type { UsersTables } from '../users/users-table.ts';

/**
 * The database as Kysely sees it: every module's tables. Times are integer milliseconds since
 * the epoch (the revocation log's are seconds, as on the wire); ids are random strings with a
 * type prefix (`usr_`, `ses_`), never sequential.
 */
export type ServiceTables = UsersTables &
  SessionsTables &
  RefreshTokensTables &
  SigningKeysTables &
  RevocationsTables &
  ActivityTables &
  ApiKeysTables &
  ThrottlesTables &
  PhantomTokensTables &
  AuthorizationCodesTables &
  AuthorizationRequestsTables &
  ClientsTables &
  BackchannelLogoutsTables;
