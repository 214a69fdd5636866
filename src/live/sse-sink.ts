import { type FastifyReply } from 'fastify';
import { eventId, type LiveEvent } from './live-event';
import { type LiveSink } from './live-events.service';

/** Proxies close idle connections; a comment line every 15 s keeps the stream open through them. */
const HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off rather than buffered without end; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * A live stream as Server-Sent Events. Nothing is written until the stream is accepted, so a
 * refused request still gets its JSON error; after that the response belongs to the stream.
 */
export class SseSink implements LiveSink {
  private started = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly reply: FastifyReply) {}

  start(lastEventId: string): void {
    if (this.started) return;
    this.started = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // How long a browser's EventSource waits before reconnecting, and from where: an id without
    // data dispatches nothing but becomes the Last-Event-ID, so a quiet stream resumes too.
    this.reply.raw.write(`retry: 2000\nid: ${lastEventId}\n\n`);
    this.heartbeat = setInterval(() => this.write(': keepalive\n\n'), HEARTBEAT_MS);
  }

  send(events: LiveEvent[]): void {
    this.write(events.map((e) => `id: ${eventId(e)}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, ticketId: e.ticketId, at: e.at })}\n\n`).join(''));
  }

  reset(reason: string): void {
    this.write(`event: reset\ndata: ${JSON.stringify({ reason })}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.started && !this.reply.raw.writableEnded) this.reply.raw.end();
  }

  private write(chunk: string): void {
    const raw = this.reply.raw;
    if (!this.started || raw.writableEnded || raw.destroyed) return;
    if (raw.writableLength > MAX_BUFFERED_BYTES) this.close();
    else raw.write(chunk);
  }
}
