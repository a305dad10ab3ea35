export * from './algorithms.ts';
export type * from './claims.ts';
export * from './errors.ts';
export * from './policy.ts';
export * from './revocation.ts';
export * from './scope.ts';
export * from './service-url.ts';
export * from './token-kinds.ts';
