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

export function parseEventId(value: string): LiveCursor | null {
  const match = /^(\d{1,20})-(\d{1,19})$/.exec(value.trim());
  return match ? { xid: BigInt(match[1]), id: BigInt(match[2]) } : null;
}

export const after = (event: LiveCursor, cursor: LiveCursor): boolean => event.xid > cursor.xid || (event.xid === cursor.xid && event.id > cursor.id);
