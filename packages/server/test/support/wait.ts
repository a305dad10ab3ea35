/**
 * Polls `probe` every 50 ms until it returns a value, for what happens after an answer (a
 * back-channel delivery, a worker's retry); throws after `timeoutMs`.
 */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
