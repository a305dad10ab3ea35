import type { AccessTokenClaims, JoseHeader, RevocationEntry } from '@writ/core';
import { ForgetQueue } from './forget-queue.ts';
import type { LogTerms } from './log-terms.ts';

type KeyedTarget = 'jti' | 'sid' | 'kid' | 'sub';

interface SubjectCutoff {
  /** Tokens of the subject issued before this (seconds) are revoked. */
  readonly issuedBefore: number;
  readonly forgetAfter: number;
}

/**
 * The live part of the revocation log, held in memory for O(1) lookups on every verify.
 *
 * Each revoked value keeps the latest `forgetAfter` of the entries naming it: after that time
 * every token those entries could match has expired, so dropping it changes no answer. A subject
 * keeps the latest `issuedBefore` too; an earlier cutoff is implied by a later one.
 */
export class RevocationMirror {
  readonly #jti = new Map<string, number>();
  readonly #sid = new Map<string, number>();
  readonly #kid = new Map<string, number>();
  readonly #sub = new Map<string, SubjectCutoff>();
  readonly #forgetQueue = new ForgetQueue<{ readonly type: KeyedTarget; readonly value: string }>();
  #cursor = 0;
  #currentAsOfMs = Number.NEGATIVE_INFINITY;
  #terms: LogTerms | undefined;

  /** The highest cursor applied (or skipped to): the sync resumes after it. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Revoked values held (distinct jti, sid, kid and subjects). */
  get size(): number {
    return this.#jti.size + this.#sid.size + this.#kid.size + this.#sub.size;
  }

  /**
   * The last time (ms) the mirror was known to hold every entry of the log up to its head,
   * `-Infinity` before it ever was. Staleness is measured from here, not from the last event: a
   * stream that keeps sending heartbeats while entries are missing is not contact that counts.
   */
  get currentAsOfMs(): number {
    return this.#currentAsOfMs;
  }

  /** What the service last stated about its log; `undefined` until the first snapshot page. */
  get terms(): LogTerms | undefined {
    return this.#terms;
  }

  setTerms(terms: LogTerms): void {
    this.#terms = terms;
  }

  /**
   * Applies one entry. An entry at or below the cursor was applied before (a resumed stream can
   * repeat one) and is ignored. Returns whether it was new.
   */
  apply(entry: RevocationEntry): boolean {
    if (entry.cursor <= this.#cursor) return false;
    this.#cursor = entry.cursor;
    const { target, forgetAfter } = entry;
    if (target.type === 'sub') {
      const held = this.#sub.get(target.value);
      this.#sub.set(target.value, {
        issuedBefore: Math.max(target.issuedBefore, held?.issuedBefore ?? target.issuedBefore),
        forgetAfter: Math.max(forgetAfter, held?.forgetAfter ?? forgetAfter),
      });
    } else {
      const values = this.#values(target.type);
      values.set(target.value, Math.max(forgetAfter, values.get(target.value) ?? forgetAfter));
    }
    this.#forgetQueue.push(forgetAfter, { type: target.type, value: target.value });
    return true;
  }

  /**
   * Moves the cursor forward without an entry: the snapshot reports the log's head when every
   * entry up to it was already pruned.
   */
  skipTo(cursor: number): void {
    if (cursor > this.#cursor) this.#cursor = cursor;
  }

  /** Records that the mirror held the whole log as it stood at `asOfMs`. Never moves backwards. */
  markCurrent(asOfMs: number): void {
    if (asOfMs > this.#currentAsOfMs) this.#currentAsOfMs = asOfMs;
  }

  /** Drops every value whose latest `forgetAfter` is before `nowSec`; costs O(log n) per value dropped. */
  prune(nowSec: number): void {
    for (;;) {
      const due = this.#forgetQueue.popDue(nowSec);
      if (due === undefined) return;
      const { type, value } = due.item;
      // A later entry for the same value may have pushed its forgetAfter back; its own queue item
      // will drop it then.
      if (type === 'sub') {
        const held = this.#sub.get(value);
        if (held !== undefined && held.forgetAfter < nowSec) this.#sub.delete(value);
      } else {
        const values = this.#values(type);
        const held = values.get(value);
        if (held !== undefined && held < nowSec) values.delete(value);
      }
    }
  }

  /** Whether an entry revokes this token: a few Set/Map lookups, nothing more. */
  isRevoked(claims: AccessTokenClaims, header: JoseHeader): boolean {
    if (this.#jti.has(claims.jti)) return true;
    if (claims.sid !== undefined && this.#sid.has(claims.sid)) return true;
    if (header.kid !== undefined && this.#kid.has(header.kid)) return true;
    const cutoff = this.#sub.get(claims.sub);
    return cutoff !== undefined && claims.iat < cutoff.issuedBefore;
  }

  #values(type: 'jti' | 'sid' | 'kid'): Map<string, number> {
    switch (type) {
      case 'jti':
        return this.#jti;
      case 'sid':
        return this.#sid;
      case 'kid':
        return this.#kid;
    }
  }
}
