/**
 * A token service in a child process, for tests that kill it with SIGKILL mid-load. Its
 * configuration comes from the WRIT_* environment the parent sets; it creates the account
 * WRIT_TEST_EMAIL / WRIT_TEST_PASSWORD and prints one JSON line, `{ "url": … }`, once it listens.
 */
import { startService } from '../../src/app/start-service.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { createUser } from '../../src/users/create-user.ts';

const env = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] =>
    entry[0].startsWith('WRIT_'),
  ),
);
const config = loadConfig({ env, cwd: String(env.WRIT_DATA_DIR), warn: () => {} });
const service = await startService(config, { logger: false });
const created = await createUser(service.context, {
  email: String(env.WRIT_TEST_EMAIL),
  password: String(env.WRIT_TEST_PASSWORD),
});
if (!created.ok) throw new Error(`cannot create the test account: ${created.problem}`);
process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
