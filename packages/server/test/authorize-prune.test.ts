import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { runHousekeeping } from '../src/app/housekeeping.ts';
import { pruneAuthorizationRecords } from '../src/authorize/prune-authorization-records.ts';
import {
  authorizeUrl,
  CookieJar,
  codeRequest,
  pkcePair,
  type RegisteredClient,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { basic, postForm } from './support/oauth.ts';
import { readServiceFile } from './support/service-file.ts';

const email = 'ruth@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let client: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  await service.addUser(email, password);
  client = await registerClient(service, await service.addKey('admin'));
});
afterAll(() => service.destroy());

function count(table: string): number {
  return readServiceFile(service, (db) =>
    Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n),
  );
}

async function pushOne(): Promise<void> {
  const response = await postForm(
    service.url,
    '/oauth/par',
    codeRequest(client, pkcePair().challenge),
    { authorization: basic(client.clientId, client.clientSecret ?? '') },
  );
  expect(response.status).toBe(201);
}

/** One authorization code (signed in through the page, not redeemed) and one pushed request. */
async function issueCodeAndPushOne(): Promise<void> {
  await signInThroughPage(
    service,
    new CookieJar(),
    authorizeUrl(service, codeRequest(client, pkcePair().challenge)),
    { email, password },
  );
  await pushOne();
}

describe('pruning authorization records', () => {
  it('forgets pushed requests once expired and codes a day after they expired', async () => {
    await issueCodeAndPushOne();
    expect(count('authorization_codes')).toBe(1);
    expect(count('authorization_requests')).toBe(1);

    // Both still live: nothing goes.
    expect(await pruneAuthorizationRecords(service.context)).toEqual({
      codes: 0,
      pushedRequests: 0,
    });

    // Past the pushed request's 60 s and the code's: the request goes, the code stays a day.
    service.clock.advance(2 * 60_000);
    try {
      expect(await pruneAuthorizationRecords(service.context)).toEqual({
        codes: 0,
        pushedRequests: 1,
      });
      expect(count('authorization_codes')).toBe(1);
      service.clock.advance(24 * 3600_000);
      expect(await pruneAuthorizationRecords(service.context)).toEqual({
        codes: 1,
        pushedRequests: 0,
      });
      expect(count('authorization_codes')).toBe(0);
      expect(count('authorization_requests')).toBe(0);
    } finally {
      service.clock.reset();
    }
  });

  it('runs in the service housekeeping round', async () => {
    await issueCodeAndPushOne();
    expect(count('authorization_codes')).toBeGreaterThanOrEqual(1);
    expect(count('authorization_requests')).toBeGreaterThanOrEqual(1);
    service.clock.advance(25 * 3600_000);
    try {
      await runHousekeeping(service.context);
      expect(count('authorization_codes')).toBe(0);
      expect(count('authorization_requests')).toBe(0);
    } finally {
      service.clock.reset();
    }
  });
});
