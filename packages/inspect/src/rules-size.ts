import { finding } from './findings.ts';
import type { Rule } from './lint-context.ts';

/** Browsers keep at most about 4 KiB per cookie, and proxies cap request headers near there. */
const cookieLimitBytes = 4096;
/** Every request carries the token: past this it is worth asking what the claims are for. */
const largeBytes = 1024;

export const sizeRule: Rule = ({ sizeBytes }) => {
  if (sizeBytes > cookieLimitBytes) {
    return [
      finding(
        'size-excessive',
        'warning',
        `The token is ${sizeBytes} bytes: over 4 KiB it no longer fits in a cookie and runs into proxies' header limits, so carry fewer claims.`,
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
