import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
let adminKey: string;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
});
afterAll(() => service.destroy());

const createUser = (body: { email: string; password: string }) =>
  call(service.url, 'POST', '/admin/users', { token: adminKey, body });

describe('POST /admin/users', () => {
  it('answers 10 concurrent creations of one email with one 201 and nine 409 email_taken', async () => {
    const email = `race-${Date.now()}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => createUser({ email, password })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    for (const answer of answers.filter((candidate) => candidate.status === 409)) {
      expect(answer.body.error).toBe('email_taken');
    }
    // The account is usable: exactly one was created, with the password it was given.
    const signIn = await call(service.url, 'POST', '/auth/sign-in', { body: { email, password } });
    expect(signIn.status).toBe(200);
  });

  const invisible = [
    ['a zero-width space', 'ada\u200b@example.com'],
    ['a zero-width joiner', 'ad\u200da@example.com'],
    ['a zero-width non-joiner', 'ada@exa\u200cmple.com'],
    ['a right-to-left override', 'ada\u202e@example.com'],
    ['a left-to-right isolate', '\u2066ada@example.com'],
    ['a byte-order mark', 'ada@example.com\ufeff'],
    ['a soft hyphen', 'a\u00adda@example.com'],
    ['a word joiner', 'ada@\u2060example.com'],
    ['a NUL', 'ada\u0000@example.com'],
    ['an escape', 'ada\u001b@example.com'],
    ['a DEL', 'ada\u007f@example.com'],
    ['a C1 control', 'ada\u0085@example.com'],
    ['a private-use character', 'ada\ue000@example.com'],
  ] as const;

  it.each(invisible)('refuses an email with %s with 400 invalid_email', async (_name, email) => {
    const answer = await createUser({ email, password });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_email');
    expect(String(answer.body.error_description)).toMatch(/invisible/);
  });

  it('still creates an address with visible non-ASCII letters', async () => {
    const answer = await createUser({ email: `zoë-${Date.now()}@exämple.com`, password });
    expect(answer.status).toBe(201);
  });

  const blank = [
    ['12 spaces', ' '.repeat(12)],
    ['tabs and newlines', '\t\n\t\n\t\n\t\n\t\n\t\n'],
    ['no-break and ideographic spaces', '\u00a0\u3000'.repeat(6)],
    ['zero-width spaces', '\u200b'.repeat(12)],
  ] as const;

  it.each(blank)('refuses a password of only %s with 400 weak_password', async (_name, typed) => {
    const answer = await createUser({ email: `blank-${Date.now()}@example.com`, password: typed });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('weak_password');
    expect(String(answer.body.error_description)).toMatch(/whitespace/);
  });

  it('accepts a long password with spaces inside it', async () => {
    const answer = await createUser({
      email: `spaces-${Date.now()}@example.com`,
      password: '   two words   ',
    });
    expect(answer.status).toBe(201);
  });
});
