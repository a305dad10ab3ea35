export interface ThrottlesTables {
  sign_in_throttles: SignInThrottlesTable;
}

export interface SignInThrottlesTable {
  key: string;
  failures: number;
  blocked_until: number;
  updated_at: number;
}
