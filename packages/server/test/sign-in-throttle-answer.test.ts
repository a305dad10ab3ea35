import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

const signIn = (email: string, password: string) =>
  call(service.url, 'POST', '/auth/sign-in', { body: { email, password } });

describe('the sign-in throttle over HTTP, answer by answer', () => {
  it.each([
    ['a real account', true],
    ['an account that does not exist', false],
  ])(
    'answers %s from one address: 5 free failures, the 6th starts the backoff, the 7th is 429 with Retry-After',
    async (_name, exists) => {
      const email = `sixth-${exists ? 'real' : 'ghost'}@example.com`;
      if (exists) await service.addUser(email, 'correct horse battery staple');
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await signIn(email, 'wrong guess, again'));
      expect(answers.map((answer) => [answer.status, answer.body])).toEqual([
        ...Array.from({ length: 6 }, () => [401, { error: 'invalid_credentials' }]),
        [429, { error: 'slow_down' }],
      ]);
      expect(answers.map((answer) => answer.headers.get('retry-after'))).toEqual([
        ...Array(6).fill(null),
        // The 6th failure blocked the pair for 1 s (2^0): whole seconds, rounded up.
        '1',
      ]);
    },
  );
});
