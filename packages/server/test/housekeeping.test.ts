import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { runHousekeeping } from '../src/app/housekeeping.ts';

/**
 * Every table of the service's schema, and what keeps it from growing forever. A migration that
 * adds a table fails this test until the table is placed in one of the three lists: a table that
 * grows with use needs a prune (in `runHousekeeping` or a worker of its own, each with its own
 * test of what it deletes and how it batches), and one that does not says why here.
 */
const prunedByHousekeeping = {
  activity: 'pruneActivity (activity retention)',
  authorization_codes: 'pruneAuthorizationRecords (used or expired codes)',
  authorization_requests: 'pruneAuthorizationRecords (expired pushed requests)',
  oauth_client_assertions: 'pruneClientAssertions (jtis of expired assertions)',
  oauth_phantom_tokens: 'prunePhantomTokens (expired opaque tokens)',
  refresh_tokens: 'pruneEndedSessions (with their long-ended session)',
  revocations: 'pruneRevocationLog (past the retention window)',
  sessions: 'pruneEndedSessions (ended more than a week ago)',
  sign_in_throttles: 'pruneSignInThrottles (spent windows)',
} as const;

const prunedElsewhere = {
  backchannel_logouts: 'the back-channel logout worker (delivered or given-up entries)',
} as const;

const boundedByWhatCreatesThem = {
  users: 'accounts, created and deleted by an administrator',
  api_keys: 'consumer keys, created and revoked by an administrator',
  oauth_clients: 'registered clients (admin API, CLI, or dynamic registration, off by default)',
  oauth_registration_tokens:
    'initial access tokens for dynamic registration, each issued by an administrator (used or expired ones are kept, not pruned)',
  signing_keys: 'one per key rotation (30 days by default); retired keys kept for audit',
  key_ring_version: 'one row',
  key_rotation_lease: 'at most one row',
} as const;

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.destroy();
});

function schemaTables(): string[] {
  const db = new DatabaseSync(join(service.dataDir, 'writ.db'), { readOnly: true });
  try {
    const rows = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'",
      )
      .all() as { name: string }[];
    return rows.map((row) => row.name).sort();
  } finally {
    db.close();
  }
}

describe('housekeeping', () => {
  it('accounts for every table: pruned, pruned by its own worker, or bounded by what creates it', () => {
    const classified = [
      ...Object.keys(prunedByHousekeeping),
      ...Object.keys(prunedElsewhere),
      ...Object.keys(boundedByWhatCreatesThem),
    ].sort();
    expect(new Set(classified).size).toBe(classified.length);
    expect(schemaTables()).toEqual(classified);
  });

  it('runs a whole round over a live database', async () => {
    await service.addUser('housekeeping@example.com', 'correct horse battery staple');
    await expect(runHousekeeping(service.context)).resolves.toBeUndefined();
  });
});
