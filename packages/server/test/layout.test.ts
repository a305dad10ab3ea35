import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The platform layer (src/platform) is what every module stands on; it must never import a
 * module, or the modules stop being separable. This reads every import of src/platform/** and
 * fails on one that leaves the platform for another folder of src.
 */
const src = resolve(import.meta.dirname, '../src');
const platform = join(src, 'platform');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`.
const importSpecifier =
  /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/g;

describe('the server layout', () => {
  it('keeps the platform layer free of imports into feature modules', () => {
    const offending: string[] = [];
    const files = filesUnder(platform).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(importSpecifier)) {
        const specifier = match[1] ?? match[2] ?? '';
        if (!specifier.startsWith('.')) continue;
        const target = resolve(file, '..', specifier);
        if (!target.startsWith(`${platform}/`))
          offending.push(`${relative(src, file)} imports ${relative(src, target)}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
