/** Where a stream stands in the feed: the (transaction, id) of the last event it was sent. */
export interface LiveCursor {
  xid: bigint;
  id: bigint;
}

export interface LiveEvent extends LiveCursor {
  type: string;
  ticketId: string | null;
  data: Record<string, unknown>;
  at: Date;
}

/** The SSE event id: "<xid>-<id>", what a client sends back as Last-Event-ID. */
export const eventId = (cursor: LiveCursor): string => `${cursor.xid}-${cursor.id}`;

const MAX_XID = 2n ** 64n - 1n;
const MAX_ID = 2n ** 63n - 1n;

/** Null for anything this feed could not have sent, out-of-range numbers included (they would reach PostgreSQL as a 500). */
export function parseEventId(value: string): LiveCursor | null {
  const match = /^(\d{1,20})-(\d{1,19})$/.exec(value.trim());
  if (!match) return null;
  const cursor = { xid: BigInt(match[1]), id: BigInt(match[2]) };
  return cursor.xid <= MAX_XID && cursor.id <= MAX_ID ? cursor : null;
}

export const after = (event: LiveCursor, cursor: LiveCursor): boolean => event.xid > cursor.xid || (event.xid === cursor.xid && event.id > cursor.id);
