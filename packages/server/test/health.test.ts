import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService } from '../../../test/support/test-service.ts';
import { openServiceDatabase } from '../src/app/open-service-database.ts';
import { healthRoutes } from '../src/health/health-routes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'writ-health-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('health and readiness', () => {
  it('answers /health and /ready from a running service', async () => {
    const service = await startTestService();
    try {
      const health = await fetch(`${service.url}/health`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await fetch(`${service.url}/ready`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    } finally {
      await service.destroy();
    }
  });

  it('answers /ready with 503 unavailable once the database stops answering, while /health stays up', async () => {
    const database = await openServiceDatabase(`sqlite:${join(dataDir, 'writ.db')}`);
    const app = Fastify({ logger: false });
    await app.register(async (scope) => healthRoutes(scope, database));
    try {
      const before = await app.inject({ method: 'GET', url: '/ready' });
      expect([before.statusCode, before.json()]).toEqual([200, { status: 'ready' }]);

      await database.close();
      const after = await app.inject({ method: 'GET', url: '/ready' });
      expect([after.statusCode, after.json()]).toEqual([503, { status: 'unavailable' }]);
      // Liveness is about the process, not its dependencies: a restart would not help.
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok' }]);
    } finally {
      await app.close();
    }
  });
});
