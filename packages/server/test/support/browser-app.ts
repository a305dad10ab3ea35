import { createVerifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../../test/support/test-service.ts';
import { launchChromium } from './chromium.ts';

/**
 * A same-origin web app for browser tests: serves a page, forwards `/auth/*` to the token
 * service (as a reverse proxy would in production, keeping cookies first-party), and has an API
 * protected by @writ/verify in cookie mode.
 */
export async function startBrowserApp(
  serviceUrl: string,
  audience: string,
  port: number,
  /** Extra scripts the page loads, by path (e.g. a bundle of @writ/client). */
  scripts: Readonly<Record<string, string>> = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  const verifier = createVerifier({
    issuer: serviceUrl,
    audience,
    jwksUri: `${serviceUrl}/.well-known/jwks.json`,
  });
  const scriptTags = Object.keys(scripts)
    .map((path) => `<script src="${path}"></script>`)
    .join('');
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html')
      .send(`<!doctype html><title>Writ cookie mode</title>${scriptTags}<p>app</p>`),
  );
  for (const [path, source] of Object.entries(scripts)) {
    app.get(path, async (_request, reply) => reply.type('text/javascript').send(source));
  }
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.all('/auth/*', async (request, reply) => {
    const headers = new Headers();
    for (const name of [
      'content-type',
      'cookie',
      'x-csrf-token',
      'x-writ-refresh',
      'authorization',
      'user-agent',
    ]) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const upstream = await fetch(`${serviceUrl}${request.url}`, {
      method: request.method,
      headers,
      ...(request.body instanceof Buffer && request.body.length > 0 ? { body: request.body } : {}),
    });
    reply.code(upstream.status);
    for (const [name, value] of upstream.headers) {
      if (
        name !== 'set-cookie' &&
        name !== 'content-length' &&
        name !== 'transfer-encoding' &&
        name !== 'connection'
      ) {
        reply.header(name, value);
      }
    }
    const cookies = upstream.headers.getSetCookie();
    if (cookies.length > 0) reply.header('set-cookie', cookies);
    return reply.send(Buffer.from(await upstream.arrayBuffer()));
  });
  await app.register(async (api) => {
    await api.register(writFastify, { verifier, cookie: {} });
    api.get('/api/me', async (request) => ({ sub: request.auth.claims.sub }));
    api.post('/api/notes', async (request) => ({ saved: true, by: request.auth.claims.sub }));
  });
  await app.listen({ host: '127.0.0.1', port });
  return app;
}

/** A token service with one user, the same-origin app in front of it, and Chromium. */
export interface BrowserRig {
  readonly service: TestService;
  readonly app: FastifyInstance;
  readonly browser: Browser;
  /**
   * The app's origin. localhost, not 127.0.0.1: browsers treat http://localhost as a secure
   * context, so the Secure, __Host- and __Secure- cookies work in development without TLS.
   */
  readonly appUrl: string;
  /** Closes the browser, the app and the service (deleting its data). */
  close(): Promise<void>;
}

export async function startBrowserRig(options: {
  readonly user: { readonly email: string; readonly password: string };
  /** Extra scripts the app's page loads, by path. */
  readonly scripts?: Readonly<Record<string, string>>;
}): Promise<BrowserRig> {
  const service = await startTestService();
  let app: FastifyInstance | undefined;
  try {
    await service.addUser(options.user.email, options.user.password);
    const port = await freePort();
    app = await startBrowserApp(service.url, 'https://api.writ.test', port, options.scripts);
    const browser = await launchChromium();
    const started = app;
    return {
      service,
      app: started,
      browser,
      appUrl: `http://localhost:${port}`,
      async close() {
        await browser.close();
        await started.close();
        await service.destroy();
      },
    };
  } catch (error) {
    await app?.close();
    await service.destroy();
    throw error;
  }
}
