/**
 * Runs tasks one after another. Sign-in, sign-out and refresh all replace the session (and, in
 * cookie mode, the browser's cookies), so two of them interleaving could leave the client holding
 * one session while the browser holds another.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
