import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type FormParams, parseFormParams } from './form-params.ts';

/** A body that was not `application/x-www-form-urlencoded` (JSON, say): refused by the handler. */
const notForm = Symbol('not a form body');

interface FormBody {
  readonly form: string;
}

/**
 * Makes a route scope read `application/x-www-form-urlencoded` bodies as text, and every other
 * type (JSON included) as something the handler refuses with RFC 6749's `invalid_request` rather
 * than Fastify's 415, or a JSON parse. Only the scope it is called on is affected.
 */
export function acceptFormBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, { form: String(body) } satisfies FormBody),
  );
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) =>
    done(null, notForm),
  );
}

/** The request's form parameters, or why they are refused (`missing`: no form body at all). */
export function formParamsOf(
  request: FastifyRequest,
): FormParams | { readonly ok: false; readonly problem: 'not_a_form' } {
  const body = request.body as unknown;
  if (typeof body !== 'object' || body === null || !('form' in body)) {
    return { ok: false, problem: 'not_a_form' };
  }
  const { form } = body as FormBody;
  return parseFormParams(form);
}
