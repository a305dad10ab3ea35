import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, startService } from '../../packages/server/src/app/start-service.ts';
import { loadConfig } from '../../packages/server/src/platform/config/load-config.ts';
import { createUser } from '../../packages/server/src/users/create-user.ts';

/** A token service in this process on a temporary SQLite file, for benchmarks. */
export async function startTempService(): Promise<
  RunningService & {
    readonly dataDir: string;
    /** Creates an account and returns its subject id. */
    addUser(email: string, password: string): Promise<string>;
    destroy(): Promise<void>;
  }
> {
  const dataDir = mkdtempSync(join(tmpdir(), 'writ-bench-'));
  const config = loadConfig({
    env: {
      WRIT_DATA_DIR: dataDir,
      WRIT_PORT: '0',
      WRIT_ISSUER: 'http://127.0.0.1:1',
      WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    },
    cwd: dataDir,
    warn: () => {},
  });
  const service = await startService(config, { logger: false });
  return {
    ...service,
    dataDir,
    async addUser(email, password) {
      const result = await createUser(service.context, { email, password });
      if (!result.ok) throw new Error(result.problem);
      return result.userId;
    },
    async destroy() {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
