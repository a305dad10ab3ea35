import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/index.ts';
import { type AdapterName, type AdapterServer, adapterServers } from './support/adapter-servers.ts';
import {
  createHostileKit,
  type HostileKit,
  hostileVerifierOptions,
} from './support/hostile-tokens.ts';
import { get } from './support/http-client.ts';

let kit: HostileKit;
beforeAll(async () => {
  kit = await createHostileKit();
});

describe.each(Object.keys(adapterServers) as AdapterName[])('the %s adapter', (adapter) => {
  let server: AdapterServer;
  beforeAll(async () => {
    server = await adapterServers[adapter](createVerifier(hostileVerifierOptions(kit)));
  });
  afterAll(() => server.close());

  it("marks a protected route's 200 Cache-Control: no-store, so no shared cache keeps one caller's answer", async () => {
    const response = await get(`${server.baseUrl}/me`, { authorization: `Bearer ${kit.valid}` });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
