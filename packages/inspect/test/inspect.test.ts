import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompactEncrypt,
  exportJWK,
  FlattenedSign,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type LoopbackListener,
  listenOnLoopback,
} from '../../../test/support/loopback.ts';
import { decodeToken } from '../src/decode.ts';
import type { Finding, Severity } from '../src/findings.ts';
import { lint } from '../src/lint.ts';
import { type InspectIo, runInspect } from '../src/run-inspect.ts';
import { formatDuration, formatIso, formatRelative } from '../src/time.ts';

// ─── tokens ─────────────────────────────────────────────────────────────────────────────────────

type Members = Record<string, unknown>;

const issuer = 'https://auth.writ.test';
const audience = 'https://api.writ.test';
const kid = 'key-1';

const nowSec = (): number => Math.floor(Date.now() / 1000);
const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
const b64json = (value: unknown): string => b64(JSON.stringify(value));
/** 64 bytes: the length of an Ed25519 or ES256 signature, so length rules stay quiet. */
const fakeSignature = b64(new Uint8Array(64).fill(7));

let edKeys: CryptoKeyPair;
let ecKeys: CryptoKeyPair;
let rsaKeys: CryptoKeyPair;
let edPublicJwk: JWK;

beforeAll(async () => {
  [edKeys, ecKeys, rsaKeys] = await Promise.all([
    generateKeyPair('EdDSA'),
    generateKeyPair('ES256'),
    generateKeyPair('RS256'),
  ]);
  edPublicJwk = { ...(await exportJWK(edKeys.publicKey)), kid, alg: 'EdDSA', use: 'sig' };
});

function defined(members: Members): Members {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined));
}

/** Claims of a clean access token; `undefined` removes one. */
function claims(overrides: Members = {}): Members {
  const now = nowSec();
  return defined({
    iss: issuer,
    sub: 'usr_4f9a1c2e7b',
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    scope: 'read write',
    client_id: 'app',
    ...overrides,
  });
}

/** Signs with jose (Ed25519 unless another key is given); header members override the defaults. */
function signed(
  payload: Members = claims(),
  header: Members = {},
  key: CryptoKey | Uint8Array = edKeys.privateKey,
): Promise<string> {
  const protectedHeader = defined({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header });
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader(protectedHeader as JWTHeaderParameters)
    .sign(key);
}

/** Assembles segments by hand, for tokens jose refuses to build. A string payload is sent as is. */
function raw(header: Members, payload: Members | string, signature = fakeSignature): string {
  const body = typeof payload === 'string' ? b64(payload) : b64json(payload);
  return `${b64json(defined({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header }))}.${body}.${signature}`;
}

function findingsOf(token: string): readonly Finding[] {
  const decoded = decodeToken(token);
  return decoded.form === 'jws' ? lint(decoded, nowSec()) : decoded.findings;
}

// ─── running the command ────────────────────────────────────────────────────────────────────────

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function* streamOf(
  ...chunks: readonly (string | Uint8Array)[]
): AsyncGenerator<string | Uint8Array> {
  yield* chunks;
}

async function inspect(argv: readonly string[], stdin?: string): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: InspectIo = {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    ...(stdin === undefined ? {} : { stdin: streamOf(stdin) }),
  };
  const code = await runInspect(['inspect', ...argv], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function inspectJson(argv: readonly string[]): Promise<{ code: number; report: Members }> {
  const { code, stdout } = await inspect([...argv, '--json']);
  return { code, report: JSON.parse(stdout) as Members };
}

// ─── one row per rule ───────────────────────────────────────────────────────────────────────────

interface RuleRow {
  readonly id: string;
  readonly severity: Severity;
  /** What the row shows, when one id has several rows. */
  readonly case?: string;
  readonly triggers: () => string | Promise<string>;
  readonly passes: () => string | Promise<string>;
}

const ago = (seconds: number): number => nowSec() - seconds;
const ahead = (seconds: number): number => nowSec() + seconds;

const ruleRows: readonly RuleRow[] = [
  {
    id: 'alg-none',
    severity: 'critical',
    triggers: () => raw({ alg: 'none' }, claims(), ''),
    passes: () => signed(),
  },
  {
    id: 'alg-none',
    case: 'in any case',
    severity: 'critical',
    triggers: () => raw({ alg: 'nOnE' }, claims(), ''),
    passes: () => signed(),
  },
  {
    id: 'alg-missing',
    severity: 'critical',
    triggers: () => raw({ alg: undefined }, claims()),
    passes: () => signed(),
  },
  {
    id: 'alg-hmac',
    severity: 'warning',
    triggers: () => signed(claims(), { alg: 'HS256' }, new Uint8Array(32).fill(1)),
    passes: () => signed(),
  },
  {
    id: 'alg-rsa',
    severity: 'info',
    triggers: () => signed(claims(), { alg: 'RS256' }, rsaKeys.privateKey),
    passes: () => signed(claims(), { alg: 'ES256' }, ecKeys.privateKey),
  },
  {
    id: 'alg-unknown',
    severity: 'warning',
    triggers: () => raw({ alg: 'es256' }, claims()),
    passes: () => signed(),
  },
  {
    id: 'signature-missing',
    severity: 'critical',
    triggers: () => raw({}, claims(), ''),
    passes: () => signed(),
  },
  {
    id: 'signature-length',
    severity: 'warning',
    case: 'DER-sized ECDSA signature',
    triggers: () => raw({ alg: 'ES256' }, claims(), b64(new Uint8Array(71).fill(3))),
    passes: () => signed(claims(), { alg: 'ES256' }, ecKeys.privateKey),
  },
  {
    id: 'typ-missing',
    severity: 'warning',
    triggers: () => signed(claims(), { typ: undefined }),
    passes: () => signed(),
  },
  {
    id: 'typ-unknown',
    severity: 'warning',
    triggers: () => signed(claims(), { typ: 'token' }),
    passes: () => signed(claims(), { typ: 'application/AT+JWT' }),
  },
  {
    id: 'typ-not-access',
    severity: 'warning',
    case: 'typ JWT on a token with scope',
    triggers: () => signed(claims(), { typ: 'JWT' }),
    passes: () => signed(claims(), { typ: 'at+jwt' }),
  },
  {
    id: 'typ-other-kind',
    severity: 'info',
    case: 'an ID token',
    triggers: () => signed(claims({ scope: undefined, client_id: undefined }), { typ: 'JWT' }),
    passes: () => signed(claims({ scope: undefined, client_id: undefined })),
  },
  {
    id: 'kid-missing',
    severity: 'warning',
    triggers: () => signed(claims(), { kid: undefined }),
    passes: () => signed(),
  },
  {
    id: 'kid-invalid',
    severity: 'warning',
    triggers: () => raw({ kid: 7 }, claims()),
    passes: () => signed(),
  },
  ...(['jwk', 'jku', 'x5u', 'x5c'] as const).map(
    (parameter): RuleRow => ({
      id: 'header-key-reference',
      case: parameter,
      severity: 'warning',
      triggers: () => {
        const values = {
          jwk: edPublicJwk,
          jku: 'https://attacker.example/jwks.json',
          x5u: 'https://attacker.example/cert.pem',
          x5c: ['MIIB'],
        };
        return raw({ [parameter]: values[parameter] }, claims());
      },
      passes: () => signed(),
    }),
  ),
  {
    id: 'crit',
    severity: 'warning',
    triggers: () => raw({ crit: ['exp'], exp: 1 }, claims()),
    passes: () => signed(),
  },
  {
    id: 'b64',
    severity: 'warning',
    triggers: () => raw({ b64: false, crit: ['b64'] }, claims()),
    passes: () => signed(),
  },
  {
    id: 'iss-missing',
    severity: 'critical',
    triggers: () => signed(claims({ iss: undefined })),
    passes: () => signed(),
  },
  {
    id: 'aud-missing',
    severity: 'critical',
    triggers: () => signed(claims({ aud: undefined })),
    passes: () => signed(),
  },
  {
    id: 'exp-missing',
    severity: 'critical',
    triggers: () => signed(claims({ exp: undefined })),
    passes: () => signed(),
  },
  {
    id: 'iat-missing',
    severity: 'warning',
    triggers: () => signed(claims({ iat: undefined })),
    passes: () => signed(),
  },
  {
    id: 'jti-missing',
    severity: 'warning',
    triggers: () => signed(claims({ jti: undefined })),
    passes: () => signed(),
  },
  {
    id: 'sub-missing',
    severity: 'warning',
    triggers: () => signed(claims({ sub: undefined })),
    passes: () => signed(),
  },
  {
    id: 'claim-type',
    case: 'aud an empty list',
    severity: 'critical',
    triggers: () => signed(claims({ aud: [] })),
    passes: () => signed(claims({ aud: [audience, 'https://other.writ.test'] })),
  },
  {
    id: 'claim-type',
    case: 'jti a number',
    severity: 'warning',
    triggers: () => signed(claims({ jti: 12 })),
    passes: () => signed(),
  },
  {
    id: 'sub-sequential',
    case: 'digits',
    severity: 'warning',
    triggers: () => signed(claims({ sub: '10482' })),
    passes: () => signed(claims({ sub: '7f1c9a2e-3b6d-4e8f-9a0b-1c2d3e4f5a6b' })),
  },
  {
    id: 'sub-sequential',
    case: 'a small integer',
    severity: 'warning',
    triggers: () => signed(claims({ sub: 42 })),
    passes: () => signed(),
  },
  {
    id: 'personal-data',
    case: 'email claim',
    severity: 'warning',
    triggers: () => signed(claims({ email: 'ada@example.com' })),
    passes: () => signed(claims({ email_hash: 'h:9f2c' })),
  },
  {
    id: 'personal-data',
    case: 'email address as a value',
    severity: 'warning',
    triggers: () => signed(claims({ sub: 'ada.lovelace@example.com' })),
    passes: () => signed(),
  },
  {
    id: 'personal-data',
    case: 'nested phone number',
    severity: 'warning',
    triggers: () => signed(claims({ contact: { numbers: ['+44 20 7946 0958'] } })),
    passes: () =>
      signed(
        claims({ updated: '2024-05-01', version: '1.2.3', ip: '192.168.100.200', n: 5551234 }),
      ),
  },
  ...(['given_name', 'family_name', 'name', 'birthdate', 'address', 'ssn', 'phone'] as const).map(
    (name): RuleRow => ({
      id: 'personal-data',
      case: name,
      severity: 'warning',
      triggers: () => signed(claims({ [name]: 'x' })),
      passes: () => signed(claims({ roles: [{ name: 'admin' }] })),
    }),
  ),
  {
    id: 'date-invalid',
    case: 'a string',
    severity: 'critical',
    triggers: () => signed(claims({ exp: String(ahead(600)) })),
    passes: () => signed(),
  },
  {
    id: 'date-invalid',
    case: '1e400 (Infinity)',
    severity: 'critical',
    triggers: () =>
      raw({}, `{"iss":"${issuer}","aud":"${audience}","iat":${nowSec()},"exp":1e400}`),
    passes: () => signed(),
  },
  {
    id: 'lifetime-long',
    severity: 'warning',
    triggers: () => signed(claims({ exp: ahead(3600) })),
    passes: () => signed(claims({ exp: ahead(900) })),
  },
  {
    id: 'lifetime-excessive',
    severity: 'critical',
    triggers: () => signed(claims({ exp: ahead(2 * 24 * 3600) })),
    passes: () => signed(claims({ exp: ahead(24 * 3600) })),
  },
  {
    id: 'lifetime-excessive',
    case: 'without iat or nbf',
    severity: 'critical',
    triggers: () => signed(claims({ iat: undefined, nbf: undefined, exp: ahead(30 * 24 * 3600) })),
    passes: () => signed(claims({ iat: undefined, nbf: undefined })),
  },
  {
    id: 'expired',
    severity: 'info',
    triggers: () => signed(claims({ iat: ago(1200), nbf: ago(1200), exp: ago(600) })),
    passes: () => signed(),
  },
  {
    id: 'iat-future',
    severity: 'warning',
    triggers: () => signed(claims({ iat: ahead(3600), nbf: undefined, exp: ahead(3900) })),
    passes: () => signed(claims({ iat: ahead(2) })),
  },
  {
    id: 'nbf-after-exp',
    severity: 'critical',
    triggers: () => signed(claims({ nbf: ahead(700) })),
    passes: () => signed(),
  },
  {
    id: 'not-yet-valid',
    severity: 'info',
    triggers: () => signed(claims({ nbf: ahead(300) })),
    passes: () => signed(),
  },
  {
    id: 'size-large',
    severity: 'info',
    triggers: () => signed(claims({ roles: 'r'.repeat(1200) })),
    passes: () => signed(),
  },
  {
    id: 'size-excessive',
    severity: 'warning',
    triggers: () => signed(claims({ roles: 'r'.repeat(5000) })),
    passes: () => signed(claims({ roles: 'r'.repeat(1200) })),
  },
  {
    id: 'non-canonical-encoding',
    severity: 'warning',
    triggers: async () => {
      // 64 signature bytes take 86 characters; the last carries 4 spare bits, here set.
      const token = await signed();
      const last = token.at(-1) ?? 'A';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 0b1111]}`;
    },
    passes: () => signed(),
  },
  {
    id: 'jwe',
    severity: 'critical',
    triggers: () =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims())))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' })
        .encrypt(new Uint8Array(32).fill(9)),
    passes: () => signed(),
  },
  {
    id: 'jws-json',
    severity: 'critical',
    triggers: async () =>
      JSON.stringify(
        await new FlattenedSign(new TextEncoder().encode(JSON.stringify(claims())))
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
          .sign(edKeys.privateKey),
      ),
    passes: () => signed(),
  },
  {
    id: 'malformed',
    severity: 'critical',
    triggers: () => 'not-a-token',
    passes: () => signed(),
  },
];

describe('lint rules, one row each', () => {
  it.each(
    ruleRows.map((row) => [row.case === undefined ? row.id : `${row.id} (${row.case})`, row]),
  )('%s', async (_name, row) => {
    const triggered = findingsOf(await row.triggers()).filter((f) => f.id === row.id);
    expect(triggered.length).toBeGreaterThan(0);
    expect(triggered[0]?.severity).toBe(row.severity);
    expect(findingsOf(await row.passes()).map((f) => f.id)).not.toContain(row.id);
  });

  it('every finding id the source can produce has a row', async () => {
    const directory = new URL('../src/', import.meta.url);
    const ids = new Set<string>();
    for (const file of await readdir(directory)) {
      const source = await readFile(new URL(file, directory), 'utf8');
      for (const match of source.matchAll(/finding\(\s*'([a-z0-9-]+)'|\bid: '([a-z0-9-]+)'/g)) {
        ids.add(match[1] ?? match[2] ?? '');
      }
    }
    expect(ids.size).toBeGreaterThan(30);
    expect([...ids].filter((id) => !ruleRows.some((row) => row.id === id))).toEqual([]);
  });

  it('finds nothing at all in a clean access token', async () => {
    expect(findingsOf(await signed())).toEqual([]);
  });

  it('gives every finding a one-sentence message', async () => {
    const all = (
      await Promise.all(ruleRows.map(async (row) => findingsOf(await row.triggers())))
    ).flat();
    for (const f of all) expect(f.message).toMatch(/^[A-Za-z@`"'].*[.)]$/s);
  });
});

// ─── exit codes and output ──────────────────────────────────────────────────────────────────────

describe('the size rule names the cause', () => {
  it('blames the claims when they fill the token, the signature when an ML-DSA signature does', async () => {
    const messageOf = (token: string) =>
      findingsOf(token).find((finding) => finding.id === 'size-excessive')?.message ?? '';
    expect(messageOf(await signed(claims({ roles: 'r'.repeat(5000) })))).toContain(
      'carry fewer claims',
    );
    // ML-DSA-65: a 3,309-byte signature, 4,412 bytes encoded; with claims of ~1.2 KB the token
    // passes 4 KiB however few claims it had left.
    const mlDsa = await generateKeyPair('ML-DSA-65');
    const postQuantum = await signed(
      claims({ roles: 'r'.repeat(1000) }),
      { alg: 'ML-DSA-65' },
      mlDsa.privateKey,
    );
    const message = messageOf(postQuantum);
    expect(message).toContain('the signature alone is 4412');
    expect(message).not.toContain('fewer claims');
  });
});

describe('writ inspect: report and exit status', () => {
  it('exits 0 with no findings for a clean token, and pretty-prints header and claims', async () => {
    const now = nowSec();
    const token = await signed(claims({ auth_time: now - 3 * 3600, exp: now + 598 }));
    const { code, stdout, stderr } = await inspect([token]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('Token: compact JWS');
    expect(stdout).toMatch(/^ {2}alg {2}"EdDSA"$/m);
    expect(stdout).toMatch(/^ {2}iss\s+"https:\/\/auth\.writ\.test"$/m);
    expect(stdout).toContain('3h ago');
    expect(stdout).toMatch(/in 9m 5\ds/);
    expect(stdout).toContain('Findings: none');
    expect(stdout).toContain('Verification: not requested');
  });

  it('exits 0 when the worst finding is a warning, and groups findings by severity', async () => {
    const { code, stdout } = await inspect([
      await signed(claims({ exp: ahead(3600) }), { alg: 'RS256' }, rsaKeys.privateKey),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('Findings: 0 critical, 1 warning, 1 info');
    expect(stdout.indexOf('  warning')).toBeLessThan(stdout.indexOf('  info'));
  });

  it('exits 1 on a critical finding, listed before warnings', async () => {
    const { code, stdout } = await inspect([raw({ alg: 'none', kid: undefined }, claims(), '')]);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ alg-none');
    expect(stdout.indexOf('  critical')).toBeLessThan(stdout.indexOf('  warning'));
  });

  it.each([
    ['no token', []],
    ['two tokens', ['a.b.c', 'd.e.f']],
    ['an unknown option', ['a.b.c', '--verify']],
    ['--jwks without a value', ['a.b.c', '--jwks']],
    ['--issuer given twice', ['a.b.c', '--issuer', 'https://a', '--issuer=https://b']],
    ['an empty token', ['  ']],
    ['- without a way to read stdin', ['-']],
  ])('exits 2 on a usage error: %s', async (_name, argv) => {
    const { code, stdout, stderr } = await inspect(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('usage: writ inspect');
  });

  it('never echoes a token in a usage error', async () => {
    const token = await signed();
    const { code, stderr } = await inspect([token, token]);
    expect(code).toBe(2);
    expect(stderr).not.toContain(token.slice(0, 20));
  });

  it('reads the token from stdin with -', async () => {
    const { code, stdout } = await inspect(['-'], `${await signed()}\n`);
    expect(code).toBe(0);
    expect(stdout).toContain('Findings: none');
    expect((await inspect(['-'], '\n')).code).toBe(2);
  });

  it('prints usage on --help and exits 0', async () => {
    const { code, stdout } = await inspect(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: writ inspect');
  });

  it('accepts a pasted "Bearer " prefix', async () => {
    expect((await inspect([`Bearer ${await signed()}`])).code).toBe(0);
  });

  it('escapes control and bidirectional characters from the token', async () => {
    const token = await signed(claims({ note: 'red\u001b[31m\u009b2J\u202Egnp.exe' }));
    for (const argv of [[token], [token, '--json']]) {
      const { stdout } = await inspect(argv);
      for (const char of ['\u001b', '\u009b', '\u202e']) expect(stdout).not.toContain(char);
      expect(stdout).toContain('\\u202e');
    }
  });
});

describe('writ inspect --json', () => {
  it('has a stable shape', async () => {
    const payload = claims({ exp: ahead(3600) });
    const { code, report } = await inspectJson([await signed(payload)]);
    expect(code).toBe(0);
    expect(Object.keys(report)).toEqual([
      'form',
      'sizeBytes',
      'header',
      'claims',
      'dates',
      'findings',
      'counts',
      'verification',
      'evaluatedAt',
      'exitCode',
    ]);
    expect(report).toMatchObject({
      form: 'jws',
      header: { alg: 'EdDSA', typ: 'at+jwt', kid },
      claims: payload,
      dates: { exp: { relative: expect.stringMatching(/^in (59m 5\ds|1h)$/) } },
      findings: [{ id: 'lifetime-long', severity: 'warning', message: expect.any(String) }],
      counts: { critical: 0, warning: 1, info: 0 },
      verification: null,
      exitCode: 0,
    });
    expect(report.dates).toHaveProperty('iat.iso', formatIso(payload.iat as number));
  });

  it('reports garbage as JSON too, with the exit code', async () => {
    const { code, report } = await inspectJson(['%%%']);
    expect(code).toBe(1);
    expect(report).toMatchObject({
      form: 'malformed',
      header: null,
      claims: null,
      findings: [{ id: 'malformed', severity: 'critical' }],
      exitCode: 1,
    });
  });

  it('writes an infinite date as "Infinity" rather than null', async () => {
    const { report } = await inspectJson([raw({}, `{"iss":"${issuer}","exp":1e400}`)]);
    expect(report.claims).toEqual({ iss: issuer, exp: 'Infinity' });
  });
});

// ─── garbage ────────────────────────────────────────────────────────────────────────────────────

describe('garbage input', () => {
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const garbage: ReadonlyArray<readonly [string, () => string]> = [
    ['plain words', () => 'hello world'],
    ['two segments', () => 'eyJhbGciOiJFZERTQSJ9.e30'],
    ['four segments', () => 'a.b.c.d'],
    ['dots only', () => '..'],
    ['five segments of junk', () => 'a.b.c.d.e'],
    ['characters outside base64url', () => '!!!.@@@.###'],
    ['padded base64', () => `${b64json({ alg: 'EdDSA' })}==.e30.AA`],
    ['an impossible length', () => 'eyJhb.e30.AA'],
    ['a header that is not JSON', () => `${b64('not json')}.e30.AA`],
    ['a header that is a JSON array', () => `${b64('[1]')}.e30.AA`],
    ['a payload that is not JSON', () => raw({}, 'plain text')],
    ['invalid UTF-8', () => `${b64(new Uint8Array([0xff, 0xfe]))}.e30.AA`],
    ['deep nesting', () => raw({}, `{"a":${deep}}`)],
    ['a JSON object that is no token', () => '{"sub":"x"}'],
    ['broken JSON', () => '{"payload":'],
    [
      'binary noise',
      () => String.fromCharCode(...Array.from({ length: 300 }, (_, i) => (i * 37) % 256)),
    ],
    ['a huge input', () => `${'a'.repeat(70_000)}.b.c`],
    ['emoji', () => '🔑.🔒.🔓'],
  ];

  it.each(garbage)('%s: a clear finding, exit 1, no stack trace', async (_name, make) => {
    const { code, stdout, stderr } = await inspect([make()]);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/✗ (malformed|jwe|jws-json): /);
    expect(stdout).not.toMatch(/^\s+at /m);
    expect(stdout).not.toMatch(/Error:/);
  });

  it('recognises a real JWE and shows its protected header', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(32).fill(9));
    const { code, stdout } = await inspect([jwe]);
    expect(code).toBe(1);
    expect(stdout).toContain('Token: encrypted JWE');
    expect(stdout).toMatch(/^ {2}enc {2}"A256GCM"$/m);
  });
});

// ─── verification ───────────────────────────────────────────────────────────────────────────────

describe('verification', () => {
  let server: LoopbackListener;
  let base: string;
  let jwksUrl: string;
  let closedPortUrl: string;
  let directory: string;
  let jwksFile: string;

  beforeAll(async () => {
    // Metadata documents by path; `issuer` is filled in with this server's own base URL.
    server = await listenOnLoopback((req, res) => {
      const documents: Record<string, unknown> = {
        '/jwks.json': { keys: [edPublicJwk] },
        '/.well-known/oauth-authorization-server': { issuer: base, jwks_uri: `${base}/jwks.json` },
        '/liar/.well-known/oauth-authorization-server': {
          issuer: 'https://somebody-else.writ.test',
          jwks_uri: `${base}/jwks.json`,
        },
      };
      const body = documents[req.url ?? ''];
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    base = server.origin;
    jwksUrl = `${base}/jwks.json`;

    closedPortUrl = `http://127.0.0.1:${await freePort()}/jwks.json`;

    directory = await mkdtemp(join(tmpdir(), 'writ-inspect-'));
    jwksFile = join(directory, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: [edPublicJwk] }));
  });

  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** The same token with one claim changed and the original signature kept. */
  function tampered(token: string, change: Members): string {
    const [header = '', payload = '', signature = ''] = token.split('.');
    const original = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Members;
    return `${header}.${b64json({ ...original, ...change })}.${signature}`;
  }

  it('verifies a valid token against a JWKS served over http on 127.0.0.1', async () => {
    const { code, stdout } = await inspect([await signed(), '--jwks', jwksUrl]);
    expect(code).toBe(0);
    expect(stdout).toContain('Verification: ✓ verified');
    expect(stdout).toContain(`keys       ${jwksUrl} (--jwks)`);
    expect(stdout).toContain("taken from the token's own aud");
  });

  it('does not verify a tampered token: bad_signature', async () => {
    const token = tampered(await signed(), { sub: 'usr_admin' });
    const { code, stdout } = await inspect([token, `--jwks=${jwksUrl}`]);
    expect(code).toBe(1);
    expect(stdout).toContain('Verification: ✗ not verified: bad_signature');
    expect(findingsOf(token)).toEqual([]);
  });

  it('fails verification even when lint finds nothing critical (exit 1)', async () => {
    const { code, report } = await inspectJson([
      tampered(await signed(), { scope: 'admin' }),
      '--jwks',
      jwksUrl,
    ]);
    expect(code).toBe(1);
    expect(report).toMatchObject({
      counts: { critical: 0 },
      verification: {
        verified: false,
        reason: 'bad_signature',
        explanation: expect.any(String),
        detail: null,
        settings: {
          keys: jwksUrl,
          keysFrom: 'jwks-url',
          issuer,
          issuerFrom: 'token',
          audience: [audience],
          algorithms: ['EdDSA'],
          algorithmsFrom: 'token',
          tokenTypes: ['at+jwt'],
          tokenTypesFrom: 'token',
        },
      },
      exitCode: 1,
    });
  });

  it('verifies with a key set from a file', async () => {
    const { code, report } = await inspectJson([await signed(), '--jwks', jwksFile]);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      verification: { verified: true, settings: { keysFrom: 'jwks-file' } },
    });
  });

  it('verifies via --issuer and its metadata document, checking iss', async () => {
    const { code, stdout } = await inspect([await signed(claims({ iss: base })), '--issuer', base]);
    expect(code).toBe(0);
    expect(stdout).toContain('Verification: ✓ verified');
    expect(stdout).toContain(`keys       ${jwksUrl} (from the --issuer metadata)`);
    expect(stdout).toContain(`issuer     "${base}" (--issuer)`);
  });

  it('with both --jwks and --issuer, takes the keys from --jwks and checks iss', async () => {
    const token = await signed();
    const { code, report } = await inspectJson([token, '--jwks', jwksUrl, '--issuer', issuer]);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      verification: { verified: true, settings: { keysFrom: 'jwks-url', issuerFrom: 'option' } },
    });
    const other = await inspectJson([token, '--jwks', jwksUrl, '--issuer', `${issuer}/`]);
    expect(other.report).toMatchObject({ verification: { reason: 'issuer_mismatch' } });
  });

  it('refuses a token from another issuer under --issuer: issuer_mismatch', async () => {
    const { code, stdout } = await inspect([await signed(), '--issuer', base]);
    expect(code).toBe(1);
    expect(stdout).toContain('not verified: issuer_mismatch');
  });

  interface RefusalRow {
    readonly name: string;
    readonly reason: string;
    readonly token: () => Promise<string>;
    readonly jwks: () => string;
  }
  const refusals: readonly RefusalRow[] = [
    {
      name: 'an unknown kid',
      reason: 'unknown_kid',
      token: () => signed(claims(), { kid: 'key-2' }),
      jwks: () => jwksUrl,
    },
    {
      name: 'an HMAC token',
      reason: 'alg_not_allowed',
      token: () => signed(claims(), { alg: 'HS256' }, new Uint8Array(32)),
      jwks: () => jwksUrl,
    },
    {
      name: 'a token without typ',
      reason: 'typ_mismatch',
      token: () => signed(claims(), { typ: undefined }),
      jwks: () => jwksUrl,
    },
    {
      name: 'an expired token',
      reason: 'expired',
      token: () => signed(claims({ iat: ago(900), nbf: ago(900), exp: ago(300) })),
      jwks: () => jwksUrl,
    },
    {
      name: 'a token without aud',
      reason: 'bad_claims',
      token: () => signed(claims({ aud: undefined })),
      jwks: () => jwksUrl,
    },
    {
      name: 'a key set nobody serves',
      reason: 'key_set_unavailable',
      token: () => signed(),
      jwks: () => closedPortUrl,
    },
    {
      name: 'a key set file that does not exist',
      reason: 'jwks_unreadable',
      token: () => signed(),
      jwks: () => join(directory, 'missing.json'),
    },
    {
      name: 'plain http to a remote host',
      reason: 'invalid_option',
      token: () => signed(),
      jwks: () => 'http://keys.writ.test/jwks.json',
    },
  ];

  it.each(refusals)('reports $name as $reason', async ({ token, jwks, reason }) => {
    const { code, report } = await inspectJson([await token(), '--jwks', jwks()]);
    expect(code).toBe(1);
    expect(report).toMatchObject({ verification: { verified: false, reason } });
  });

  it('says why a key set download failed', async () => {
    const { stdout } = await inspect([await signed(), '--jwks', closedPortUrl]);
    expect(stdout).toMatch(/detail {5}key set request: the request failed: .*ECONNREFUSED/);
  });

  it.each([
    ['metadata naming another issuer', (): string => `${base}/liar`, 'metadata_mismatch'],
    ['no metadata document', (): string => `${base}/nowhere`, 'metadata_unavailable'],
    [
      'an issuer over plain http to a remote host',
      (): string => 'http://auth.writ.test',
      'invalid_option',
    ],
  ] as const)('reports %s under --issuer', async (_name, issuerUrl, reason) => {
    const { code, report } = await inspectJson([await signed(), '--issuer', issuerUrl()]);
    expect(code).toBe(1);
    expect(report).toMatchObject({ verification: { verified: false, reason } });
  });

  it('does not try to verify garbage', async () => {
    const { code, report } = await inspectJson(['garbage', '--jwks', jwksUrl]);
    expect(code).toBe(1);
    expect(report).toMatchObject({ verification: { verified: false, reason: 'not_a_jws' } });
  });
});

// ─── time formatting ────────────────────────────────────────────────────────────────────────────

describe('dates', () => {
  it.each([
    [598, '9m 58s'],
    [3 * 3600, '3h'],
    [3 * 3600 + 120, '3h 2m'],
    [26 * 3600, '1d 2h'],
    [0.4, '0s'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('says in/ago relative to now', () => {
    expect(formatRelative(1000 + 598, 1000)).toBe('in 9m 58s');
    expect(formatRelative(1000 - 3 * 3600, 1000)).toBe('3h ago');
    expect(formatRelative(1000, 1000)).toBe('now');
  });

  it('shows ISO dates, and none for numbers no calendar holds', () => {
    expect(formatIso(1_700_000_000)).toBe('2023-11-14T22:13:20Z');
    expect(formatIso(1e300)).toBe('beyond any calendar date');
  });
});
