import type { JWK } from 'jose';

/**
 * Public keys whose private halves were discarded when they were generated: an assertion that
 * names an unknown client (or a key it does not have) is verified against the one of these that
 * fits its algorithm, so it costs a signature check, as a known client's does. Nothing can be
 * signed for them, so the check always fails.
 */
const decoyKeys = {
  RSA: {
    kty: 'RSA',
    n: 'wzb8f57qXcPq-d7CcWjv3Ot916WuK97VV2fHTX2P2V9CNgUD2Ts00cnKcAY9TUlOx1YY9OsQxXPEhHurh0Y_KAImp8akOZAQQLfHKws5yvZvqZBitYjNrORHBvkpWewcC7nEI0gpCSS7I7SXbiBFKPo-JbWgFP_Q-J-rB2GjzRhV60P51yKTsjtR-el72D4ALqN-xMLNmYNdO_l2ANCbykdFvDQ_PBnM3_q_ZWWR1R_MMdh7mEFG6L7-ONNu6-R_-tCrUqCpr-lGzusqw_fhuqKo1UCl-MRohZDeyV7eAuHJ5HJdlfGTMR0BMKSdWzMxtR1-kWiKDsOGCPZNZ_Q9MQ',
    e: 'AQAB',
  },
  'P-256': {
    kty: 'EC',
    crv: 'P-256',
    x: 'PSb362jpVRqn7GakX1UwuaLMZj0MYJ6BvQEdPh8UkcU',
    y: 'HYF61bicA9HzRBjWPlGtIjcRTGj_jk_j_8prHFwGqLI',
  },
  'P-384': {
    kty: 'EC',
    crv: 'P-384',
    x: 'W6rT6fmIwJxCuADO6bmaPBF_jlRNH1bZXzE0o0rTgd5fnQiojrUfNJgiI0pV6VWx',
    y: 'F9sYn3AbEYmexSG_TYyF_vNi1dVhb_f4Z9Lq7ef-0ZRHas4tMt-b161kQ8HRSUrH',
  },
  'P-521': {
    kty: 'EC',
    crv: 'P-521',
    x: 'AV4GJ9_eSsq0Aja7gBjcCi1H8rVEpbZbugc5hgRqrcZHMmNQWlbAGkZvghD_4VVKKyjFAN_L8Jy1xyAvDdMosvOZ',
    y: 'ANzAd4bijfBL7clHiHyM_Du75np-dGh2htwvPeWvmdNIySW48Jgh7Uwzx82Ctqqs8DX_MT91nf6sz3w6GlS4_6zP',
  },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', x: 'H-3LWNo-KmiziiJo1QUNxgODTFekKHggFENqwo6GXFA' },
} as const satisfies Record<string, JWK>;

/** The decoy key an assertion signed with `alg` is checked against. */
export function decoyKeyFor(alg: string): JWK {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return decoyKeys.RSA;
  if (alg === 'ES384') return decoyKeys['P-384'];
  if (alg === 'ES512') return decoyKeys['P-521'];
  if (alg === 'EdDSA' || alg === 'Ed25519') return decoyKeys.Ed25519;
  return decoyKeys['P-256'];
}
