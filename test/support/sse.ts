import { waitFor } from './process';

export interface SseEvent {
  id: string;
  event: string;
  data: any;
  /** Date.now() when the event was read off the stream. */
  receivedAt: number;
}

export interface SseStream {
  status: number;
  events: SseEvent[];
  /** What an EventSource would send as Last-Event-ID on reconnecting: the last id field read, with or without data. */
  lastEventId(): string;
  /** Waits until an event matches, however long the stream takes (no timing is asserted). */
  until(match: (event: SseEvent) => boolean, what: string): Promise<SseEvent>;
  close(): Promise<void>;
}

/** A GET /v1/events client that keeps every event it reads, as a browser's EventSource would parse them. */
export async function openStream(baseUrl: string, token: string, lastEventId?: string): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const res = await fetch(`${baseUrl}/v1/events`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let lastId = '';
  let reading: Promise<void> = Promise.resolve();
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    reading = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
            if (fields.id !== undefined) lastId = fields.id;
            if (fields.data !== undefined) events.push({ id: fields.id ?? '', event: fields.event ?? 'message', data: JSON.parse(fields.data), receivedAt: Date.now() });
          }
        }
      } catch {
        // aborted by close()
      }
    })();
  }
  return {
    status: res.status,
    events,
    lastEventId: () => lastId,
    async until(match, what) {
      await waitFor(() => Promise.resolve(events.some(match)), what, 1200);
      return events.find(match)!;
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}
