import { describe, expect, it } from 'vitest';
import { gateway } from '../src/gateway/gateway-command.ts';
import type { RunningGateway } from '../src/gateway/start-gateway.ts';

/** `writ gateway`'s command line, run in-process with an io that records what it prints. */
function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { env, stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
  };
}

const required = [
  '--listen',
  '127.0.0.1:0',
  '--upstream',
  'http://127.0.0.1:9000',
  '--issuer',
  'http://127.0.0.1:4000',
  '--client-id',
  'wc_gateway',
  '--audience',
  'https://api.writ.test',
];

describe('writ gateway', () => {
  it('refuses a client secret on the command line, and says where it belongs', async () => {
    for (const args of [
      [...required, '--client-secret', 'hunter2'],
      [...required, '--client-secret=hunter2'],
    ]) {
      const t = io({ WRIT_GATEWAY_CLIENT_SECRET: 'x' });
      expect(await gateway(args, t.io)).toBe(2);
      expect(t.err.join('\n')).toContain('WRIT_GATEWAY_CLIENT_SECRET');
      expect(t.err.join('\n')).not.toContain('hunter2');
    }
  });

  it('needs the secret in WRIT_GATEWAY_CLIENT_SECRET', async () => {
    const t = io();
    expect(await gateway(required, t.io)).toBe(2);
    expect(t.err.join('\n')).toContain('WRIT_GATEWAY_CLIENT_SECRET must hold the client secret');
  });

  it.each([
    ['--upstream', 'ftp://x', '--upstream must be an http(s) URL'],
    ['--upstream', 'http://127.0.0.1:9000/?a=1', '--upstream must not have a query or fragment'],
    ['--listen', 'nowhere', '--listen must be host:port'],
    ['--forwarded-proto', 'gopher', '--forwarded-proto must be http or https'],
    ['--client-id', '', '--client-id is required'],
    ['--upstream-timeout', '50', '--upstream-timeout must be a whole number from 100 to 600000'],
    ['--upstream-timeout', '1e4', '--upstream-timeout must be a whole number from 100 to 600000'],
    ['--max-connections', '0', '--max-connections must be a whole number from 1 to 100000'],
  ])('refuses %s %s', async (flag, value, message) => {
    const args = [...required];
    const at = args.indexOf(flag);
    if (at === -1) args.push(flag, value);
    else args[at + 1] = value;
    const t = io({ WRIT_GATEWAY_CLIENT_SECRET: 'x' });
    expect(await gateway(args, t.io)).toBe(2);
    expect(t.err.join('\n')).toContain(message);
  });

  it('refuses unknown flags and a plain-http introspection endpoint off this machine', async () => {
    const unknown = io({ WRIT_GATEWAY_CLIENT_SECRET: 'x' });
    expect(await gateway([...required, '--insecure'], unknown.io)).toBe(2);
    const remote = io({ WRIT_GATEWAY_CLIENT_SECRET: 'x' });
    expect(
      await gateway(
        [...required, '--introspection-endpoint', 'http://auth.example.com/oauth/introspect'],
        remote.io,
      ),
    ).toBe(2);
    expect(remote.err.join('\n')).toContain('must use https');
  });

  it('starts with its limits, warns without a consumer key, and stops on SIGTERM', async () => {
    const t = io({ WRIT_GATEWAY_CLIENT_SECRET: 'x' });
    let running: RunningGateway | undefined;
    const exit = gateway([...required, '--max-connections', '7'], t.io, (started) => {
      running = started;
    });
    while (running === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.err.join('\n')).toContain('no WRIT_GATEWAY_CONSUMER_KEY');
    expect(t.err.join('\n')).toContain(`Writ gateway listening on ${running.url}`);
    expect(running.server.maxConnections).toBe(7);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
  });
});
