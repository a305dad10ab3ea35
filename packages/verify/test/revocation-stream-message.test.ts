import { describe, expect, it } from 'vitest';
import { parseSnapshotPage } from '../src/revocation/snapshot-page.ts';
import { parseStreamMessage } from '../src/revocation/stream-message.ts';
import { RevocationSyncError } from '../src/revocation/sync-error.ts';

const heartbeat = (data: string) => ({ id: '', event: 'heartbeat', data });

describe('a heartbeat', () => {
  it('gives the log head and terms', () => {
    expect(
      parseStreamMessage(
        heartbeat('{"head":43,"serverTime":1,"retentionSec":930,"heartbeatSec":5,"later":true}'),
      ),
    ).toEqual({ kind: 'heartbeat', head: 43, terms: { retentionSec: 930, heartbeatSec: 5 } });
  });

  const malformed: Array<[string, string]> = [
    ['the old shape, a stream cursor without head or terms', '{"cursor":43,"serverTime":1}'],
    ['no head', '{"retentionSec":930,"heartbeatSec":5}'],
    ['a negative head', '{"head":-1,"retentionSec":930,"heartbeatSec":5}'],
    ['a fractional head', '{"head":1.5,"retentionSec":930,"heartbeatSec":5}'],
    ['a head as a string', '{"head":"43","retentionSec":930,"heartbeatSec":5}'],
    ['no retention', '{"head":43,"heartbeatSec":5}'],
    ['a zero retention', '{"head":43,"retentionSec":0,"heartbeatSec":5}'],
    ['a retention as a string', '{"head":43,"retentionSec":"930","heartbeatSec":5}'],
    ['no heartbeat interval', '{"head":43,"retentionSec":930}'],
    ['a negative heartbeat interval', '{"head":43,"retentionSec":930,"heartbeatSec":-5}'],
    ['an array', '[43]'],
    ['null', 'null'],
    ['not JSON', 'head=43'],
  ];

  it.each(malformed)('is refused with %s', (_name, data) => {
    expect(() => parseStreamMessage(heartbeat(data))).toThrow(RevocationSyncError);
  });
});

describe('a snapshot page', () => {
  const page = { entries: [], cursor: 7, more: false, serverTime: 1 };

  it('gives the terms', () => {
    expect(parseSnapshotPage({ ...page, retentionSec: 930, heartbeatSec: 5 }, 7).terms).toEqual({
      retentionSec: 930,
      heartbeatSec: 5,
    });
  });

  it('is refused without them: the mirror could not tell which tokens outlive their revocation', () => {
    expect(() => parseSnapshotPage(page, 7)).toThrow(RevocationSyncError);
    expect(() => parseSnapshotPage({ ...page, heartbeatSec: 5 }, 7)).toThrow(/retentionSec/);
    expect(() => parseSnapshotPage({ ...page, retentionSec: 930 }, 7)).toThrow(/heartbeatSec/);
  });
});
