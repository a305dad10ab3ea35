import type { Kysely } from 'kysely';
import type { ActivityStores } from '../activity/activity-store.ts';
import { kyselyActivityStore } from '../activity/kysely-activity-store.ts';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { kyselyApiKeysStore } from '../api-keys/kysely-api-keys-store.ts';
import type { AuthorizationCodesStores } from '../authorize/authorization-codes-store.ts';
import type { AuthorizationRequestsStores } from '../authorize/authorization-requests-store.ts';
import { kyselyAuthorizationCodesStore } from '../authorize/kysely-authorization-codes-store.ts';
import { kyselyAuthorizationRequestsStore } from '../authorize/kysely-authorization-requests-store.ts';
import type { ClientsStores } from '../clients/clients-store.ts';
import {
  kyselyClientsStore,
  kyselyRegistrationTokensStore,
} from '../clients/kysely-clients-store.ts';
import { kyselySigningKeysStore } from '../keys/kysely-signing-keys-store.ts';
import type { SigningKeysStores } from '../keys/signing-keys-store.ts';
import type { BackchannelLogoutsStores } from '../logout/backchannel-logouts-store.ts';
import { kyselyBackchannelLogoutsStore } from '../logout/kysely-backchannel-logouts-store.ts';
import { kyselyPhantomTokensStore } from '../oauth/kysely-phantom-tokens-store.ts';
import type { PhantomTokensStores } from '../oauth/phantom-tokens-store.ts';
import { kyselyRefreshTokensStore } from '../refresh-tokens/kysely-refresh-tokens-store.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import { kyselyRevocationLogStore } from '../revocation/kysely-revocation-log-store.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';
import { kyselySessionsStore } from '../sessions/kysely-sessions-store.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import { kyselyThrottlesStore } from '../throttle/kysely-throttles-store.ts';
import type { ThrottlesStores } from '../throttle/throttles-store.ts';
import { kyselyUsersStore } from '../users/kysely-users-store.ts';
import type { UsersStores } from '../users/users-store.ts';
import type { ServiceTables } from './tables.ts';

/** Every store of the service, one per aggregate. */
export type ServiceStores = UsersStores &
  SessionsStores &
  RefreshTokensStores &
  SigningKeysStores &
  RevocationLogStores &
  ActivityStores &
  ApiKeysStores &
  ThrottlesStores &
  PhantomTokensStores &
  AuthorizationCodesStores &
  AuthorizationRequestsStores &
  ClientsStores &
  BackchannelLogoutsStores;

/** Binds every store to one executor: the database, or one transaction of it. */
export function bindStores(executor: Kysely<ServiceTables>): ServiceStores {
  return {
    users: kyselyUsersStore(executor),
    sessions: kyselySessionsStore(executor),
    refreshTokens: kyselyRefreshTokensStore(executor),
    signingKeys: kyselySigningKeysStore(executor),
    revocations: kyselyRevocationLogStore(executor),
    activity: kyselyActivityStore(executor),
    apiKeys: kyselyApiKeysStore(executor),
    throttles: kyselyThrottlesStore(executor),
    phantomTokens: kyselyPhantomTokensStore(executor),
    authorizationCodes: kyselyAuthorizationCodesStore(executor),
    authorizationRequests: kyselyAuthorizationRequestsStore(executor),
    clients: kyselyClientsStore(executor),
    registrationTokens: kyselyRegistrationTokensStore(executor),
    backchannelLogouts: kyselyBackchannelLogoutsStore(executor),
  };
}
