import { resolve } from 'node:path';
import { rolldown } from 'rolldown';

/** @writ/client bundled for a browser page: one IIFE script that defines `WritClient`. */
export async function bundleClient(): Promise<string> {
  const bundle = await rolldown({
    input: resolve(import.meta.dirname, '../../../client/src/index.ts'),
    platform: 'browser',
  });
  const { output } = await bundle.generate({ format: 'iife', name: 'WritClient' });
  await bundle.close();
  const [chunk] = output;
  if (chunk === undefined || chunk.type !== 'chunk') throw new Error('no bundle');
  return chunk.code;
}
