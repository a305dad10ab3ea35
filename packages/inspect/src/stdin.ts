import { InspectInputError } from './input-error.ts';

/**
 * The most `writ inspect -` reads from stdin. A token travels in an HTTP header, and servers
 * refuse headers past 8–16 KiB (Node's default limit is 16 KiB), so no usable token comes near
 * this; the slack covers pasted whitespace and oversized tokens worth linting. Past it the input
 * is a mistake (`< /dev/zero`, a log file) that must not be buffered until memory runs out.
 */
export const maxStdinBytes = 64 * 1024;

/**
 * Reads stdin up to `maxBytes`, stopping (and releasing the stream) as soon as it holds more:
 * an endless input is refused after `maxBytes`, not read to its end.
 */
export async function readCappedStdin(
  stdin: AsyncIterable<Uint8Array | string>,
  maxBytes: number = maxStdinBytes,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stdin) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      total += bytes.byteLength;
      // Leaving the loop ends the iteration, which destroys a Node stream: nothing more is read.
      if (total > maxBytes) break;
      chunks.push(bytes);
    }
  } catch (cause) {
    throw new InspectInputError('stdin_unreadable', 'could not read the token from stdin', {
      cause,
    });
  }
  if (total > maxBytes) {
    throw new InspectInputError(
      'stdin_too_large',
      `stdin holds more than ${maxBytes} bytes, far more than any token`,
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}
