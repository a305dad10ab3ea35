import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { registerClient } from './support/authorize-flow.ts';

let service: TestService;
let adminKey: string;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
});
afterAll(() => service.destroy());

const register = (audiences: readonly string[]) =>
  call(service.url, 'POST', '/admin/clients', {
    token: adminKey,
    body: {
      client_name: 'Reports',
      grant_types: ['client_credentials'],
      scope: 'read',
      audiences,
    },
  });

describe('client registration refuses audiences that look like client ids', () => {
  it('refuses another client id, or anything of its shape, with a description that says why', async () => {
    const relyingParty = await registerClient(service, adminKey);
    for (const audiences of [
      [relyingParty.clientId],
      ['https://api.writ.test', relyingParty.clientId],
      ['WC_AAAAAAAAAAAAAAAAAAAAAA'],
    ]) {
      const answer = await register(audiences);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('audience_is_client_id');
      expect(String(answer.body.error_description)).toContain('client id');
      expect(String(answer.body.error_description)).not.toContain(relyingParty.clientId);
    }
    const listed = await call(service.url, 'GET', '/admin/clients', { token: adminKey });
    expect(JSON.stringify(listed.body)).not.toContain('Reports');
  });

  it('still registers a URI audience', async () => {
    expect((await register(['https://reports.writ.test'])).status).toBe(201);
  });
});
