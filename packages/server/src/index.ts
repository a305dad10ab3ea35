export type { ServiceConfig } from './config/config.ts';
export { ConfigError, loadConfig } from './config/load-config.ts';
export type { Signer } from './keys/signer.ts';
export type { RevocationNotifier } from './revocation/revocation-notifier.ts';
export { type RunningService, startService } from './start-service.ts';
export type { Storage } from './storage/storage.ts';
