import { openServiceDatabase } from '../app/open-service-database.ts';
import { rotateKeysNow } from '../keys/emergency-rotation.ts';
import { KeyRotationError } from '../keys/errors.ts';
import { KeyRing } from '../keys/key-ring.ts';
import {
  parseRotationRequest,
  type RotationRequest,
  rotationProblem,
} from '../keys/keys-admin-routes.ts';
import type { KeysContext } from '../keys/keys-context.ts';
import { type KeySummary, listKeys } from '../keys/list-keys.ts';
import { openKeyCustody } from '../keys/open-key-custody.ts';
import { publicKeySet } from '../keys/public-key-set.ts';
import { rotateKeys } from '../keys/rotate-keys.ts';
import { systemClock } from '../platform/clock.ts';
import { SealedBoxError } from '../platform/crypto/sealed-box.ts';
import { createLocalNotifier } from '../revocation/revocation-notifier.ts';
import { loadCliConfig } from './commands.ts';
import type { CliIo } from './io.ts';

export const keysUsage = `usage: writ keys <command>

  list                        the signing keys: kid, algorithm, state, created, activates, retires
  rotate [--algorithm A]      publish a next key now; it signs after the publication lead time
  rotate --emergency [kid]    a leaked key: a fresh key signs now, the key (default: the active
                              ones) is withdrawn from the JWKS and its tokens revoked at once
  export-public               the public key set (JWKS) as JSON on stdout
`;

/**
 * Runs `body` over the keys module's context on the service's database, opened directly; a
 * running service follows what changed from its ring's poll of the store (about a second).
 * The ring is opened first: that proves this master key opens the stored keys before the CLI
 * seals a new one under it, which the service could then never open.
 */
async function withKeysContext(
  io: CliIo,
  body: (context: KeysContext) => Promise<number>,
): Promise<number> {
  const config = loadCliConfig(io);
  if (config === undefined) return 1;
  const { db, close } = await openServiceDatabase(config.databaseUrl);
  try {
    const custody = await openKeyCustody(config);
    let keyRing: KeyRing;
    try {
      keyRing = await KeyRing.open({
        db,
        custody,
        clock: systemClock,
        signingAlgorithms: config.signingAlgorithms,
        audienceAlgorithms: config.audienceAlgorithms,
      });
    } catch (error) {
      // The ring closes the custody once it exists; until then it is ours to close.
      await custody.close();
      if (error instanceof SealedBoxError) {
        io.stderr(
          'error: the master key does not open the stored signing keys (is WRIT_MASTER_KEY the one the service runs with?)',
        );
        return 1;
      }
      throw error;
    }
    try {
      // Nothing listens in this process: a running service streams the entries from its log.
      return await body({
        config,
        db,
        clock: systemClock,
        keyRing,
        notifier: createLocalNotifier(),
      });
    } finally {
      await keyRing.close();
    }
  } finally {
    await close();
  }
}

const isoOrDash = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** The key list as a table: a header row and one row per key, columns padded to line up. */
export function keysTable(keys: readonly KeySummary[]): string[] {
  const rows = [
    ['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATES', 'RETIRES'],
    ...keys.map((key) => [
      key.kid,
      key.alg,
      key.state,
      isoOrDash(key.createdAt),
      // What happened, else what is scheduled: when it began signing or will; when it retired
      // or will.
      isoOrDash(key.activatedAt ?? key.activatesAt),
      isoOrDash(key.retiredAt ?? key.retiresAt),
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  '),
  );
}

/** Read-only: the store alone, no ring (so no first key is made, and no master key needed to open one). */
export async function keysList(io: CliIo): Promise<number> {
  const config = loadCliConfig(io);
  if (config === undefined) return 1;
  const { db, close } = await openServiceDatabase(config.databaseUrl);
  try {
    for (const line of keysTable(await listKeys({ db }))) io.stdout(line);
    return 0;
  } finally {
    await close();
  }
}

export function keysExportPublic(io: CliIo): Promise<number> {
  return withKeysContext(io, async (context) => {
    io.stdout(JSON.stringify(publicKeySet(context), null, 2));
    return 0;
  });
}

/** `rotate [--algorithm A]` or `rotate --emergency [kid]`, as the admin API's body would say it. */
export function parseRotateArgs(
  args: readonly string[],
): { ok: true; body: Record<string, unknown> } | { ok: false } {
  const body: Record<string, unknown> = {};
  for (let at = 0; at < args.length; at++) {
    const arg = args[at];
    if (arg === '--emergency' && body.emergency === undefined) body.emergency = true;
    else if (arg === '--algorithm' && body.algorithm === undefined && args[at + 1] !== undefined)
      body.algorithm = args[++at];
    else if (arg?.startsWith('--algorithm=') && body.algorithm === undefined)
      body.algorithm = arg.slice('--algorithm='.length);
    else if (arg !== undefined && !arg.startsWith('-') && body.kid === undefined) body.kid = arg;
    else return { ok: false };
  }
  return { ok: true, body };
}

const rotationMessages = {
  invalid_rotation_request: 'a kid is an RFC 7638 thumbprint (at most 128 characters)',
  kid_without_emergency: 'a kid names a leaked key: use writ keys rotate --emergency <kid>',
  algorithm_with_emergency:
    "an emergency rotation keeps each withdrawn key's algorithm: rotate to another algorithm without --emergency",
  algorithm_not_configured:
    'that algorithm is not in WRIT_SIGNING_ALGORITHMS (add it there, then restart the service)',
  key_not_found: 'no published signing key has that kid (see writ keys list)',
} as const;

export function keysRotate(io: CliIo, args: readonly string[]): Promise<number> {
  const parsedArgs = parseRotateArgs(args);
  if (!parsedArgs.ok) {
    io.stderr(keysUsage);
    return Promise.resolve(2);
  }
  return withKeysContext(io, async (context) => {
    const parsed = parseRotationRequest(parsedArgs.body, context.config.signingAlgorithms);
    if (!parsed.ok) {
      io.stderr(`error: ${rotationMessages[parsed.problem]}`);
      return 2;
    }
    try {
      return parsed.request.emergency
        ? await emergency(io, context, parsed.request)
        : await scheduled(io, context, parsed.request);
    } catch (error) {
      if (!(error instanceof KeyRotationError)) throw error;
      io.stderr(`error: ${rotationMessages[rotationProblem(error)]}`);
      return 1;
    }
  });
}

async function scheduled(
  io: CliIo,
  context: KeysContext,
  request: Extract<RotationRequest, { emergency: false }>,
): Promise<number> {
  const started = await rotateKeys(
    context,
    request.algorithm === undefined ? {} : { algorithm: request.algorithm },
  );
  io.stdout(
    `published next key ${started.nextKid}; it signs from ${new Date(started.activatesAt).toISOString()}`,
  );
  return 0;
}

async function emergency(
  io: CliIo,
  context: KeysContext,
  request: Extract<RotationRequest, { emergency: true }>,
): Promise<number> {
  const done = await rotateKeysNow(
    context,
    request.kid === undefined ? { emergency: true } : { emergency: true, kid: request.kid },
  );
  for (const kid of done.withdrawnKids) io.stdout(`withdrawn and revoked ${kid}`);
  for (const kid of done.activeKids) io.stdout(`signing now ${kid}`);
  io.stderr(
    'a running service follows within a second, its revocation mirrors refuse the withdrawn keys within a second, consumers without the mirror at their next JWKS refresh (see docs/keys.md)',
  );
  return 0;
}

/** `writ keys <list | rotate … | export-public>`; returns the exit code. */
export function keys(io: CliIo, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list' && rest.length === 0) return keysList(io);
  if (sub === 'export-public' && rest.length === 0) return keysExportPublic(io);
  if (sub === 'rotate') return keysRotate(io, rest);
  io.stderr(keysUsage);
  return Promise.resolve(sub === '--help' || sub === 'help' ? 0 : 2);
}
