export type ActivityType =
  | 'sign_in'
  | 'sign_in_failed'
  | 'refresh'
  | 'refresh_reuse'
  | 'sign_out'
  | 'sign_out_everywhere'
  | 'session_revoked';

/** One line of a user's activity log. Times in ms. */
export interface ActivityRecord {
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: ActivityType;
  readonly at: number;
  readonly ip: string;
  readonly userAgent: string;
}
