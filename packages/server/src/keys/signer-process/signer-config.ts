import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../platform/config/load-config.ts';
import { randomKeyFrom } from '../../platform/config/random-key.ts';
import { readSignerSecretFile, signerSocketPath } from '../../platform/config/signer-settings.ts';

/** What `writ signer` runs with, validated. */
export interface SignerProcessConfig {
  readonly socketPath: string;
  readonly secret: Uint8Array;
  /** Seals the signer's private keys at rest; never the service's master key. */
  readonly masterKey: Uint8Array;
  /** Where the signer's key store lives (WRIT_SIGNER_DATA_DIR, default ./.writ-signer). */
  readonly dataDir: string;
}

/**
 * The signer's settings, from the environment only (a config file would be one more place a
 * key could be written down). Throws `ConfigError` listing every problem.
 */
export function loadSignerProcessConfig(env: NodeJS.ProcessEnv, cwd: string): SignerProcessConfig {
  const problems: string[] = [];
  const socketPath = signerSocketPath(env.WRIT_SIGNER_SOCKET, problems);
  const secret = readSignerSecretFile(env.WRIT_SIGNER_SECRET_FILE, problems);
  const rawMasterKey = env.WRIT_SIGNER_MASTER_KEY;
  let masterKey: Buffer | undefined;
  if (rawMasterKey === undefined || rawMasterKey === '') {
    problems.push('WRIT_SIGNER_MASTER_KEY is required (generate one with: writ master-key)');
  } else {
    const { key, problem } = randomKeyFrom(rawMasterKey, 'WRIT_SIGNER_MASTER_KEY');
    if (problem !== undefined) problems.push(problem);
    else if (env.WRIT_MASTER_KEY !== undefined && env.WRIT_MASTER_KEY === rawMasterKey) {
      // One key for both would let whoever holds the service's key open the signer's store.
      problems.push("WRIT_SIGNER_MASTER_KEY must not be the service's WRIT_MASTER_KEY");
    }
    masterKey = key;
  }
  const dataDir = resolve(cwd, env.WRIT_SIGNER_DATA_DIR || '.writ-signer');
  if (existsSync(dataDir) && (statSync(dataDir).mode & 0o077) !== 0) {
    problems.push(`${dataDir} is open to other users; run: chmod 700 ${dataDir}`);
  }
  if (
    problems.length > 0 ||
    socketPath === undefined ||
    secret === undefined ||
    masterKey === undefined
  ) {
    throw new ConfigError(problems);
  }
  return { socketPath, secret, masterKey, dataDir };
}
