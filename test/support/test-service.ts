import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '../../packages/server/src/api-keys/create-api-key.ts';
import { type RunningService, startService } from '../../packages/server/src/app/start-service.ts';
import { loadConfig } from '../../packages/server/src/platform/config/load-config.ts';
import { createUser } from '../../packages/server/src/users/create-user.ts';
import { freePort } from './loopback.ts';
import { type TestClock, testClock } from './test-clock.ts';

export interface TestService extends RunningService {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  /** The service's clock: move it instead of faking the global Date. */
  readonly clock: TestClock;
  /** Creates a user and returns its id. */
  addUser(email: string, password: string): Promise<string>;
  /** Creates a consumer (or admin) key and returns it. */
  addKey(kind: 'consumer' | 'admin', name?: string): Promise<string>;
  /** Closes the service and deletes its data directory. */
  destroy(): Promise<void>;
}

/** Starts a real token service in this process, on a free port, with its own temporary data. */
export async function startTestService(
  extraEnv: Record<string, string> = {},
): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'writ-test-'));
  const port = await freePort();
  const env = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: String(port),
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_AUDIENCE: 'https://api.writ.test',
    ...extraEnv,
  };
  const config = loadConfig({ env, cwd: dataDir, warn: () => {} });
  const clock = testClock();
  const service = await startService(config, { logger: false, clock });
  return {
    ...service,
    dataDir,
    env,
    clock,
    async addUser(email, password) {
      const result = await createUser(service.context, { email, password });
      if (!result.ok) throw new Error(`cannot create test user: ${result.problem}`);
      return result.userId;
    },
    addKey(kind, name = `${kind}-${randomBytes(4).toString('hex')}`) {
      return createApiKey(service.context, kind, name);
    },
    async destroy() {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
