/**
 * Builds the publishable tarballs of the five packages:
 *
 *   node scripts/pack.ts --out <dir>
 *
 * In this repository the packages export their TypeScript sources, which Node runs by stripping
 * types. That stops at `node_modules`: Node refuses to strip types there, and Node 22 before
 * 22.18 does not strip them at all. So what is published is compiled: each package is built with
 * `tsc -p tsconfig.build.json` into `dist/` (JavaScript, declarations, source maps), staged with
 * a package.json whose `exports` and `bin` point at `dist/`, its README and the repository's
 * LICENSE, and packed with `npm pack`.
 * Prints the tarball paths, one per line.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const publishedPackages = ['core', 'verify', 'inspect', 'client', 'server'] as const;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

type ExportTarget = string | { readonly types: string; readonly default: string };

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, string | ExportTarget>;
  bin?: Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** `./src/a/b.ts` → `./dist/a/b.js` (or `.d.ts`). */
function compiled(sourcePath: string, extension: '.js' | '.d.ts'): string {
  if (!sourcePath.startsWith('./src/') || !sourcePath.endsWith('.ts')) {
    throw new Error(`export target outside src/ or not TypeScript: ${sourcePath}`);
  }
  return `./dist/${sourcePath.slice('./src/'.length, -'.ts'.length)}${extension}`;
}

/** The package.json as published: compiled entry points, sources shipped for the source maps. */
export function publishedManifest(manifest: Manifest): Manifest {
  const exports: Record<string, ExportTarget> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target !== 'string') throw new Error(`unexpected export shape for ${subpath}`);
    exports[subpath] = { types: compiled(target, '.d.ts'), default: compiled(target, '.js') };
  }
  const published: Manifest = { ...manifest, exports, files: ['dist', 'src'] };
  if (manifest.bin !== undefined) {
    published.bin = Object.fromEntries(
      Object.entries(manifest.bin).map(([name, target]) => [name, compiled(target, '.js')]),
    );
  }
  delete published.scripts;
  delete published.devDependencies;
  return published;
}

/** Builds and packs every package into `outDir`; returns the tarball paths in dependency order. */
export function packAll(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'writ-pack-'));
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const tarballs: string[] = [];
  try {
    for (const name of publishedPackages) {
      const packageDir = join(root, 'packages', name);
      rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
      execFileSync(tsc, ['-p', join(packageDir, 'tsconfig.build.json')], { stdio: 'inherit' });
      const stage = join(staging, name);
      mkdirSync(stage);
      cpSync(join(packageDir, 'dist'), join(stage, 'dist'), { recursive: true });
      cpSync(join(packageDir, 'src'), join(stage, 'src'), { recursive: true });
      cpSync(join(packageDir, 'README.md'), join(stage, 'README.md'));
      cpSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
      const manifest = JSON.parse(
        readFileSync(join(packageDir, 'package.json'), 'utf8'),
      ) as Manifest;
      writeFileSync(
        join(stage, 'package.json'),
        `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`,
      );
      const output = execFileSync(
        'npm',
        ['pack', '--json', '--pack-destination', outDir, '--ignore-scripts'],
        { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const [packed] = JSON.parse(output) as { filename: string }[];
      if (packed === undefined) throw new Error(`npm pack printed nothing for ${name}`);
      tarballs.push(join(outDir, packed.filename));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return tarballs;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (values.out === undefined) throw new Error('usage: node scripts/pack.ts --out <dir>');
  for (const tarball of packAll(resolve(values.out))) console.log(tarball);
}
