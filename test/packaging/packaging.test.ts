import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAll, publishedPackages } from '../../scripts/pack.ts';

/**
 * What a user installs is the packed tarballs, not this workspace: they are installed into a
 * throwaway project and run there, on the oldest Node each package claims to support and on the
 * Node the workspace runs on. Node binaries come from the npm registry (`node-<os>-<arch>`),
 * cached under node_modules/.cache between runs.
 */
const run = promisify(execFile);
const repositoryRoot = resolve(import.meta.dirname, '../..');
const nodeCache = join(repositoryRoot, 'node_modules', '.cache', 'writ-node');

/** The oldest Node each package declares; the smoke runs prove the claim. */
const oldestVerifyNode = '22.12.0';
const oldestServerNode = '22.16.0';

let workDir: string;
let consumerDir: string;
let tarballs: string[];

async function nodeBinary(version: string): Promise<string> {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const name = `node-${platform}-${process.arch}`;
  const dir = join(nodeCache, version);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const { stdout } = await run('npm', [
    'pack',
    `${name}@${version}`,
    '--json',
    '--pack-destination',
    dir,
  ]);
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (packed === undefined) throw new Error(`npm pack ${name}@${version} printed nothing`);
  await run('tar', ['xzf', join(dir, packed.filename), '-C', dir]);
  rmSync(join(dir, packed.filename));
  return binary;
}

async function smoke(node: string, mode: 'verify' | 'inspect' | 'service'): Promise<string> {
  const { stdout } = await run(node, ['smoke.js', mode], { cwd: consumerDir, timeout: 60_000 });
  return stdout;
}

const manifestOf = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(join(consumerDir, 'node_modules', '@writ', name, 'package.json'), 'utf8'),
  ) as Record<string, unknown>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'writ-packaging-'));
  tarballs = packAll(join(workDir, 'tarballs'));
  consumerDir = join(workDir, 'consumer');
  mkdirSync(consumerDir);
  const dependencies = Object.fromEntries(
    publishedPackages.map((name, index) => [`@writ/${name}`, `file:${tarballs[index]}`]),
  );
  writeFileSync(
    join(consumerDir, 'package.json'),
    JSON.stringify({ name: 'writ-consumer', private: true, type: 'module', dependencies }),
  );
  cpSync(join(import.meta.dirname, 'consumer', 'smoke.js'), join(consumerDir, 'smoke.js'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: consumerDir,
  });
}, 240_000);

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe('the published packages', () => {
  it('export compiled JavaScript with declarations, every entry point present', () => {
    for (const name of publishedPackages) {
      const manifest = manifestOf(name);
      const exports = manifest.exports as Record<string, { types: string; default: string }>;
      for (const target of Object.values(exports)) {
        expect(target.default).toMatch(/^\.\/dist\/.+\.js$/);
        expect(target.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
        const packageDir = join(consumerDir, 'node_modules', '@writ', name);
        expect(existsSync(join(packageDir, target.default))).toBe(true);
        expect(existsSync(join(packageDir, target.types))).toBe(true);
      }
      expect(manifest.devDependencies).toBeUndefined();
      expect(manifest.license).toBe('Apache-2.0');
      const installed = join(consumerDir, 'node_modules', '@writ', name);
      expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain('Apache License');
      expect(readFileSync(join(installed, 'README.md'), 'utf8')).toMatch(
        new RegExp(`^# @writ/${name}`),
      );
    }
    expect(manifestOf('server').bin).toEqual({ writ: './dist/cli/main.js' });
    expect(manifestOf('inspect').bin).toEqual({ 'writ-inspect': './dist/cli.js' });
    expect(Object.keys(manifestOf('verify').exports as object)).toContain('./internal');
  });

  it('let @writ/inspect be installed without the token service and its dependencies', () => {
    // Linting a token must not install Fastify, Kysely and Argon2: only Writ's two libraries.
    expect(Object.keys(manifestOf('inspect').dependencies as object).sort()).toEqual([
      '@writ/core',
      '@writ/verify',
    ]);
  });

  it('declare the oldest Node they are tested on here', () => {
    for (const name of ['core', 'verify', 'inspect', 'client']) {
      expect(manifestOf(name).engines).toEqual({ node: `>=${oldestVerifyNode.slice(0, -2)}` });
    }
    expect(manifestOf('server').engines).toEqual({ node: `>=${oldestServerNode.slice(0, -2)}` });
  });

  it(`verify tokens from node_modules on Node ${oldestVerifyNode}`, async () => {
    const node = await nodeBinary(oldestVerifyNode);
    expect(await smoke(node, 'verify')).toContain(`ok verify on Node ${oldestVerifyNode}`);
  }, 120_000);

  it(`run writ-inspect from node_modules on Node ${oldestVerifyNode}`, async () => {
    const node = await nodeBinary(oldestVerifyNode);
    expect(await smoke(node, 'inspect')).toContain(`ok inspect on Node ${oldestVerifyNode}`);
  }, 120_000);

  it(`run the token service, client and revocation mirror from node_modules on Node ${oldestServerNode}`, async () => {
    const node = await nodeBinary(oldestServerNode);
    expect(await smoke(node, 'service')).toContain(`ok service on Node ${oldestServerNode}`);
  }, 120_000);

  it(`do the same on the workspace's Node (${process.versions.node})`, async () => {
    expect(await smoke(process.execPath, 'verify')).toContain('ok verify');
    expect(await smoke(process.execPath, 'inspect')).toContain('ok inspect');
    expect(await smoke(process.execPath, 'service')).toContain('ok service');
  }, 120_000);
});
