/**
 * Whether a request body can be sent a second time after a 401. Strings, Blobs, buffers, typed
 * arrays, FormData and URLSearchParams are values and can; a ReadableStream (or anything else) is
 * consumed by the first attempt, so such a request is never retried.
 */
export function isReplayableBody(body: BodyInit | null | undefined): boolean {
  if (body === undefined || body === null) return true;
  return (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
  );
}
