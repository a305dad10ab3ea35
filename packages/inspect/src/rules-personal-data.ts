import { finding } from './findings.ts';
import type { Rule } from './lint-context.ts';
import type { JsonObject } from './record.ts';
import { showName } from './text.ts';

/**
 * Claim names that hold personal data (OpenID Connect standard claims and their usual variants),
 * compared lower-cased without `_` and `-`.
 */
const personalClaimNames: ReadonlySet<string> = new Set([
  'email',
  'emailaddress',
  'mail',
  'phone',
  'phonenumber',
  'mobile',
  'name',
  'fullname',
  'givenname',
  'familyname',
  'middlename',
  'firstname',
  'lastname',
  'birthdate',
  'dateofbirth',
  'dob',
  'address',
  'streetaddress',
  'ssn',
  'socialsecuritynumber',
]);

const emailAddress = /[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[A-Za-z]{2,}/;
/**
 * A phone number as people write it: an international `+` prefix or separators between digit
 * groups (space, dash, parentheses; not dots, which IPv4 addresses use), 7-15 digits (E.164).
 * Bare digit strings are left to the sequential-id rule, and ISO dates are not phone numbers.
 */
const phoneShape = /^(\+[\d\s()-]{7,20}|\(?\d{2,5}\)?[\s-]\d[\d\s-]{4,16})$/;
const isoDate = /^\d{4}-\d{2}-\d{2}/;

function looksLikePhone(value: string): boolean {
  const digits = value.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && phoneShape.test(value) && !isoDate.test(value);
}

function describeValue(value: string): string | undefined {
  if (emailAddress.test(value)) return 'an email address';
  if (looksLikePhone(value)) return 'a phone number';
  return undefined;
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/**
 * Where personal data appears: claim names at the top level, then values at any depth under the
 * other claims (a claim already named as personal is not searched again).
 */
function personalDataPlaces(claims: JsonObject): readonly string[] {
  const places: string[] = [];
  const queue: Array<readonly [string, unknown]> = [];
  for (const [name, value] of Object.entries(claims)) {
    if (personalClaimNames.has(normaliseName(name))) places.push(showName(name));
    else queue.push([showName(name), value]);
  }
  // A queue rather than recursion: places come out in claim order, and no input can overflow the stack.
  for (let index = 0; index < queue.length; index++) {
    const [path, value] = queue[index] ?? ['', undefined];
    if (typeof value === 'string') {
      const what = describeValue(value);
      if (what !== undefined) places.push(`${what} in ${path}`);
    } else if (Array.isArray(value)) {
      for (const [position, member] of value.entries())
        queue.push([`${path}[${position}]`, member]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, member] of Object.entries(value)) {
        queue.push([`${path}.${showName(name)}`, member]);
      }
    }
  }
  return places;
}

const maxPlacesShown = 5;

export const personalDataRule: Rule = ({ claims }) => {
  const places = personalDataPlaces(claims);
  if (places.length === 0) return [];
  const shown = places.slice(0, maxPlacesShown).join(', ');
  const more = places.length > maxPlacesShown ? ` and ${places.length - maxPlacesShown} more` : '';
  return [
    finding(
      'personal-data',
      'warning',
      `Personal data (${shown}${more}): a JWT is encoded, not encrypted, so everything that sees it (logs, browser storage, proxies) reads it too; carry an opaque id instead.`,
    ),
  ];
};
