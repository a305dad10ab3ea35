import type { Generated } from 'kysely';

export interface ActivityTables {
  activity: ActivityTable;
}

export interface ActivityTable {
  id: Generated<number>;
  user_id: string;
  session_id: string | null;
  type: string;
  at: number;
  ip: string;
  user_agent: string;
}
