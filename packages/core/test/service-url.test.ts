import { isHttpsOrLoopbackHttp, isLoopbackHostname, serviceUrlFlaw } from '@writ/core';
import { describe, expect, it } from 'vitest';

describe('the https-or-loopback rule for service URLs', () => {
  it.each([
    'https://auth.example.com/',
    'https://auth.example.com:8443/oauth/introspect',
    'http://localhost:3000/',
    'http://LOCALHOST/', // the URL parser lower-cases the host
    'http://127.0.0.1:8080/',
    'http://127.1/', // normalised to 127.0.0.1
    'http://127.255.0.9/',
    'http://[::1]:4000/',
    'http://[0:0:0:0:0:0:0:1]/', // normalised to [::1]
  ])('accepts %s', (value) => {
    const url = new URL(value);
    expect(isHttpsOrLoopbackHttp(url)).toBe(true);
    expect(serviceUrlFlaw(url)).toBeUndefined();
  });

  it.each([
    'http://auth.example.com/',
    'http://10.0.0.1/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://localhost.example.com/', // a public name that starts like the loopback one
    'http://127.0.0.1.nip.io/',
    'http://[::ffff:7f00:1]/', // IPv4-mapped, not one of the loopback spellings the rule allows
    'ftp://localhost/',
    'file:///etc/passwd',
    'ws://localhost/',
  ])('refuses %s as an insecure scheme', (value) => {
    const url = new URL(value);
    expect(isHttpsOrLoopbackHttp(url)).toBe(false);
    expect(serviceUrlFlaw(url)).toBe('insecure_scheme');
  });

  it.each([
    'https://user:secret@auth.example.com/',
    'https://user@auth.example.com/',
    'https://:secret@auth.example.com/',
    'http://user:secret@127.0.0.1/',
  ])('refuses credentials in %s', (value) => {
    expect(serviceUrlFlaw(new URL(value))).toBe('carries_credentials');
  });

  it('reports the scheme before the credentials', () => {
    expect(serviceUrlFlaw(new URL('http://user:secret@auth.example.com/'))).toBe('insecure_scheme');
  });

  it('judges parsed hostnames: only localhost, 127.0.0.0/8 and [::1] are loopback', () => {
    expect(['localhost', '127.0.0.1', '127.9.8.7', '[::1]'].map(isLoopbackHostname)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['::1', '128.0.0.1', '127.0.0', 'localhost.', 'example.com', ''].map(isLoopbackHostname),
    ).toEqual([false, false, false, false, false, false]);
  });
});
