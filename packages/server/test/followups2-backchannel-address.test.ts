import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { postLogoutToken } from '../src/logout/post-logout-token.ts';

/** What the relying party's endpoint received: Host header and body, per request. */
let received: Array<{ host: string | undefined; body: string }> = [];
let rp: LoopbackListener;

beforeAll(async () => {
  rp = await listenOnLoopback((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ host: request.headers.host, body });
      response.writeHead(200).end();
    });
  });
});
afterAll(() => rp.close());
beforeEach(() => {
  received = [];
});

/** A resolver for names nobody else answers (`.test` is reserved), counting its calls. */
function resolverAnswering(...addresses: string[]) {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (hostname: string): Promise<readonly LookupAddress[]> => {
      calls.push(hostname);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
}

const token = 'eyJ.logout.token';

describe('back-channel logout: the address a public name resolves to', () => {
  it.each([
    ['loopback', ['127.0.0.1']],
    ['loopback, elsewhere in 127/8', ['127.3.4.5']],
    ['IPv6 loopback', ['::1']],
    ['private 10/8', ['10.1.2.3']],
    ['private 172.16/12', ['172.20.0.1']],
    ['private 192.168/16', ['192.168.1.1']],
    ['link-local (cloud metadata)', ['169.254.169.254']],
    ['CGNAT', ['100.64.0.1']],
    ['multicast', ['224.0.0.251']],
    ['IPv6 multicast', ['ff02::1']],
    ['unspecified', ['0.0.0.0']],
    ['IPv6 unspecified', ['::']],
    ['IPv6 unique local', ['fd00::1']],
    ['IPv6 link-local', ['fe80::1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['IPv4-mapped loopback, hex', ['::ffff:7f00:1']],
    ['IPv4-mapped private', ['::ffff:10.0.0.1']],
    ['IPv4-mapped link-local', ['::ffff:169.254.169.254']],
    ['one public and one private answer', ['93.184.216.34', '10.0.0.1']],
  ])('is refused in production: %s', async (_what, addresses) => {
    const resolver = resolverAnswering(...addresses);
    const outcome = await postLogoutToken(
      `http://rp.writ.test:${rp.port}/backchannel`,
      token,
      2000,
      { checkAddresses: true, allowLoopback: false, resolve: resolver.resolve },
    );
    expect(outcome).toEqual({ ok: false, failure: 'address_not_allowed' });
    expect(resolver.calls).toEqual(['rp.writ.test']);
    expect(received).toEqual([]);
  });

  it('is refused in production when the URI names a loopback literal (no resolution needed)', async () => {
    const resolver = resolverAnswering('93.184.216.34');
    expect(
      await postLogoutToken(`${rp.origin}/backchannel`, token, 2000, {
        checkAddresses: true,
        allowLoopback: false,
        resolve: resolver.resolve,
      }),
    ).toEqual({ ok: false, failure: 'address_not_allowed' });
    expect(resolver.calls).toEqual([]);
    expect(received).toEqual([]);
  });

  it('connects to the address it checked, resolving once (development mode allows loopback)', async () => {
    // rp.writ.test resolves nowhere but through this resolver: the request reaching the
    // listener shows the connection used the checked address, not a second lookup.
    const resolver = resolverAnswering('127.0.0.1');
    const outcome = await postLogoutToken(
      `http://rp.writ.test:${rp.port}/backchannel`,
      token,
      2000,
      { checkAddresses: true, allowLoopback: true, resolve: resolver.resolve },
    );
    expect(outcome).toEqual({ ok: true });
    expect(resolver.calls).toEqual(['rp.writ.test']);
    expect(received).toEqual([
      { host: `rp.writ.test:${rp.port}`, body: `logout_token=${encodeURIComponent(token)}` },
    ]);
  });

  it('an operator-registered URI may name an internal relying party, still through the checked address', async () => {
    const resolver = resolverAnswering('127.0.0.1');
    const outcome = await postLogoutToken(
      `http://rp.writ.test:${rp.port}/backchannel`,
      token,
      2000,
      { checkAddresses: false, allowLoopback: false, resolve: resolver.resolve },
    );
    expect(outcome).toEqual({ ok: true });
    expect(resolver.calls).toEqual(['rp.writ.test']);
    expect(received).toHaveLength(1);
  });

  it('development mode still refuses private, link-local and mapped addresses', async () => {
    for (const address of ['10.0.0.1', '169.254.169.254', '::ffff:192.168.0.1']) {
      const outcome = await postLogoutToken(
        `http://rp.writ.test:${rp.port}/backchannel`,
        token,
        2000,
        { checkAddresses: true, allowLoopback: true, resolve: resolverAnswering(address).resolve },
      );
      expect(outcome).toEqual({ ok: false, failure: 'address_not_allowed' });
    }
    expect(received).toEqual([]);
  });
});
