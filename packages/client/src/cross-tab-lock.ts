/**
 * Runs `task` holding a Web Lock named `name`, where the platform has Web Locks (browsers, and
 * Node ≥ 22), otherwise just runs it.
 *
 * Why: in cookie mode every tab of the app shares one refresh cookie. Two tabs refreshing at the
 * same moment would present the same refresh token twice, which the service treats as theft and
 * answers by revoking the session. Under the lock the second tab's refresh starts only after the
 * first has stored the rotated cookie, so it presents the new one.
 */
export function withCrossTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (locks === undefined || typeof locks.request !== 'function') return task();
  return locks.request(name, task);
}
