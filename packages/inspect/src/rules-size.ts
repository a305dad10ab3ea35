import { finding } from './findings.ts';
import type { Rule } from './lint-context.ts';

/** Browsers keep at most about 4 KiB per cookie, and proxies cap request headers near there. */
const cookieLimitBytes = 4096;
/** Every request carries the token: past this it is worth asking what the claims are for. */
const largeBytes = 1024;

export const sizeRule: Rule = ({ sizeBytes, signatureBytes }) => {
  if (sizeBytes > cookieLimitBytes) {
    const encodedSignatureBytes = Math.ceil((signatureBytes * 4) / 3);
    // A post-quantum signature (ML-DSA: 2.4–3.3 KB) can be most of the token: fewer claims
    // would not bring it under the limit, and saying so would send the reader the wrong way.
    const cure =
      encodedSignatureBytes * 2 > sizeBytes
        ? `the signature alone is ${encodedSignatureBytes} of them, so sign tokens that travel in cookies or headers with a smaller algorithm (EdDSA, ES256)`
        : 'so carry fewer claims';
    return [
      finding(
        'size-excessive',
        'warning',
        `The token is ${sizeBytes} bytes: over 4 KiB it no longer fits in a cookie and runs into proxies' header limits; ${cure}.`,
      ),
    ];
  }
  if (sizeBytes > largeBytes) {
    return [
      finding(
        'size-large',
        'info',
        `The token is ${sizeBytes} bytes, over 1 KiB: it travels with every request, so keep claims to what APIs need for authorisation.`,
      ),
    ];
  }
  return [];
};
