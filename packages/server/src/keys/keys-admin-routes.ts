import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { SigningAlgorithms } from '../platform/config/config.ts';
import { rotateKeysNow } from './emergency-rotation.ts';
import { KeyRotationError } from './errors.ts';
import type { SigningAlgorithm } from './key-custody.ts';
import type { KeysContext } from './keys-context.ts';
import { type KeySummary, listKeys } from './list-keys.ts';
import { publicKeySet } from './public-key-set.ts';
import { rotateKeys } from './rotate-keys.ts';

/**
 * Each refusal of the keys admin API: its status and a fixed description that says what to fix
 * and never echoes the input (a kid is public, but an echoed body is how secrets end up in logs).
 */
export const keysAdminProblems = {
  invalid_rotation_request: {
    status: 400,
    description:
      'the body must be a JSON object with at most emergency (boolean), kid (string) and algorithm (string)',
  },
  kid_without_emergency: {
    status: 400,
    description:
      'kid names a compromised key to withdraw: give it only with "emergency": true (a scheduled rotation replaces the active key)',
  },
  algorithm_with_emergency: {
    status: 400,
    description:
      'an emergency rotation replaces the compromised keys with fresh keys of their own algorithms: rotate to another algorithm without "emergency"',
  },
  algorithm_not_configured: {
    status: 400,
    description: 'algorithm must be one of the signing algorithms set in WRIT_SIGNING_ALGORITHMS',
  },
  key_not_found: {
    status: 404,
    description: 'no published signing key (next, active or retiring) has this kid',
  },
} as const;

export type KeysAdminProblem = keyof typeof keysAdminProblems;

/** What `POST /admin/keys/rotate` was asked to do, once its body passed every check. */
export type RotationRequest =
  | { readonly emergency: false; readonly algorithm?: SigningAlgorithm }
  | { readonly emergency: true; readonly kid?: string };

const rotationMembers: ReadonlySet<string> = new Set(['emergency', 'kid', 'algorithm']);
const knownAlgorithms: ReadonlySet<string> = new Set(SigningAlgorithms);
/** A kid is an RFC 7638 thumbprint (43 base64url characters); anything far longer is not one. */
const maxKidLength = 128;

/**
 * Reads the rotation body strictly: unknown members, wrong types and combinations that mean two
 * different operations are refused, never guessed at. No body at all is a scheduled-style
 * rotation of the default algorithm.
 */
export function parseRotationRequest(
  body: unknown,
  signingAlgorithms: readonly SigningAlgorithm[],
): { ok: true; request: RotationRequest } | { ok: false; problem: KeysAdminProblem } {
  if (body === undefined) return { ok: true, request: { emergency: false } };
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, problem: 'invalid_rotation_request' };
  const members = body as Record<string, unknown>;
  const { emergency, kid, algorithm } = members;
  if (
    Object.keys(members).some((name) => !rotationMembers.has(name)) ||
    (emergency !== undefined && typeof emergency !== 'boolean') ||
    (kid !== undefined &&
      (typeof kid !== 'string' || kid.length === 0 || kid.length > maxKidLength)) ||
    (algorithm !== undefined && typeof algorithm !== 'string')
  )
    return { ok: false, problem: 'invalid_rotation_request' };
  if (emergency === true) {
    if (algorithm !== undefined) return { ok: false, problem: 'algorithm_with_emergency' };
    return { ok: true, request: kid === undefined ? { emergency } : { emergency, kid } };
  }
  if (kid !== undefined) return { ok: false, problem: 'kid_without_emergency' };
  if (algorithm === undefined) return { ok: true, request: { emergency: false } };
  if (
    !knownAlgorithms.has(algorithm) ||
    !(signingAlgorithms as readonly string[]).includes(algorithm)
  )
    return { ok: false, problem: 'algorithm_not_configured' };
  return { ok: true, request: { emergency: false, algorithm: algorithm as SigningAlgorithm } };
}

/** The refusal a rotation flow's own error stands for; any other error is a fault, not a refusal. */
export function rotationProblem(error: KeyRotationError): KeysAdminProblem {
  switch (error.code) {
    case 'ERR_KEY_NOT_PUBLISHED':
      return 'key_not_found';
    case 'ERR_KEY_ALGORITHM_NOT_CONFIGURED':
      return 'algorithm_not_configured';
  }
}

const isoOrNull = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/** A key as the admin API shows it: snake_case, times as ISO 8601 strings (or null). */
export function keySummaryResponse(key: KeySummary) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    custody: key.custody,
    created_at: new Date(key.createdAt).toISOString(),
    activates_at: isoOrNull(key.activatesAt),
    activated_at: isoOrNull(key.activatedAt),
    retires_at: isoOrNull(key.retiresAt),
    retired_at: isoOrNull(key.retiredAt),
  };
}

function refuse(reply: FastifyReply, problem: KeysAdminProblem) {
  const { status, description } = keysAdminProblems[problem];
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ error: problem, error_description: description });
}

/**
 * The keys admin API: list the ring, rotate (scheduled-style or emergency), read the public set.
 * Added to the admin scope (admin/admin-routes.ts), whose hook has authenticated an admin key
 * before any of these run.
 */
export async function keysAdminRoutes(app: FastifyInstance, context: KeysContext): Promise<void> {
  app.get('/admin/keys', async (_request, reply) => {
    const keys = await listKeys(context);
    return reply.header('cache-control', 'no-store').send({ keys: keys.map(keySummaryResponse) });
  });

  app.get('/admin/keys/public', async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .type('application/jwk-set+json')
      .send(publicKeySet(context)),
  );

  app.post('/admin/keys/rotate', async (request, reply) => {
    const parsed = parseRotationRequest(request.body, context.config.signingAlgorithms);
    if (!parsed.ok) return refuse(reply, parsed.problem);
    try {
      const answer = await rotate(context, parsed.request, request.log);
      return reply.header('cache-control', 'no-store').send(answer);
    } catch (error) {
      // The flows' own refusals (a kid no longer published, an algorithm left the set meanwhile).
      if (!(error instanceof KeyRotationError)) throw error;
      return refuse(reply, rotationProblem(error));
    }
  });
}

/** Runs the rotation asked for and says what changed. Kids are public (they are in the JWKS). */
async function rotate(
  context: KeysContext,
  rotation: RotationRequest,
  log: FastifyBaseLogger,
): Promise<Record<string, unknown>> {
  if (!rotation.emergency) {
    const started = await rotateKeys(
      context,
      rotation.algorithm === undefined ? {} : { algorithm: rotation.algorithm },
    );
    log.info(
      { nextKid: started.nextKid, activatesAt: started.activatesAt },
      'key rotation started: next key published',
    );
    return {
      rotation: 'scheduled',
      next_kid: started.nextKid,
      activates_at: new Date(started.activatesAt).toISOString(),
    };
  }
  const done = await rotateKeysNow(
    context,
    rotation.kid === undefined ? { emergency: true } : { emergency: true, kid: rotation.kid },
  );
  // Operators find the event by this line (docs/keys.md, the runbook's logs).
  log.warn(
    { withdrawnKids: done.withdrawnKids, activeKids: done.activeKids },
    'emergency key rotation: keys withdrawn and revoked',
  );
  return {
    rotation: 'emergency',
    active_kids: done.activeKids,
    withdrawn_kids: done.withdrawnKids,
  };
}
