export type { ServiceContext } from './app/service-context.ts';
export { type RunningService, type StartOptions, startService } from './app/start-service.ts';
export type { ServiceStores } from './app/stores.ts';
export type { Signer } from './keys/signer.ts';
export type { Clock } from './platform/clock.ts';
export type { ServiceConfig } from './platform/config/config.ts';
export { ConfigError, loadConfig } from './platform/config/load-config.ts';
export { WritError, type WritErrorCode } from './platform/errors.ts';
export type { RevocationNotifier } from './revocation/revocation-notifier.ts';
