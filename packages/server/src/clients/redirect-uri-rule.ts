import { isHttpsOrLoopbackUrl } from '../platform/url.ts';

const maxUriLength = 2000;
/** Whitespace, controls and invisible characters: none belongs in a URI, each hides something. */
const unsafeCharacter = /[\s\p{C}]/u;
/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (com.example.app), so it has a dot. */
const privateUseScheme = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

export interface RedirectUriRuleOptions {
  /** Whether a native app's private-use scheme is acceptable (public clients only). */
  readonly allowPrivateUseScheme: boolean;
}

/**
 * Whether a URI may be registered as a place to send codes or users: absolute, https or http on a
 * loopback host (the platform's https-or-loopback rule), no fragment (RFC 6749 §3.1.2), no
 * credentials, nothing invisible. The string is stored as given and later matched exactly, so
 * what is checked here is what is compared there.
 */
export function acceptableRedirectUri(uri: string, options: RedirectUriRuleOptions): boolean {
  if (uri.length === 0 || uri.length > maxUriLength || unsafeCharacter.test(uri)) return false;
  if (uri.includes('#')) return false;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (isHttpsOrLoopbackUrl(url)) return url.hostname !== '';
  // A private-use scheme can be claimed by any app on the device; PKCE (always required) is
  // what keeps a code intercepted that way useless. Never for confidential clients.
  return options.allowPrivateUseScheme && privateUseScheme.test(url.protocol);
}

/** The back-channel logout endpoint is called by the service itself: https or loopback http only. */
export function acceptableBackchannelUri(uri: string): boolean {
  return acceptableRedirectUri(uri, { allowPrivateUseScheme: false });
}
