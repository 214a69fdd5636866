import { HttpStatus, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { type AppConfig, runsHttpApi } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { after, eventId, type LiveCursor, type LiveEvent, parseEventId } from './live-event';
import { LiveEventsRepository } from './live-events.repository';

/** Read per round: a stream far behind catches up in rounds, without one huge read. */
const ROUND = 500;

/** Where a stream's events go; `close` ends the HTTP response. */
export interface LiveSink {
  /** Accepts the stream, telling the client where it starts (its Last-Event-ID until the first event). */
  start(lastEventId: string): void;
  send(events: LiveEvent[]): void;
  reset(reason: string): void;
  close(): void;
}

interface Stream {
  companyId: string;
  cursor: LiveCursor;
  sink: LiveSink;
}

/**
 * The live feed of each API process. One LISTEN connection hears every commit that wrote a
 * company's events (from any process: the triggers notify), and a short poll covers what a
 * notification cannot: a lost connection, and events held behind a transaction that was still
 * running when their own committed. Each company is read at most once at a time, from the
 * oldest position among its streams; each stream gets what is past its own position.
 */
@Injectable()
export class LiveEventsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LiveEventsService.name);
  private readonly streams = new Map<string, Set<Stream>>();
  private readonly reading = new Set<string>();
  private readonly readAgain = new Set<string>();
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: LiveEventsRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsHttpApi(this.config.role)) return;
    this.timer = setInterval(() => {
      for (const companyId of this.streams.keys()) this.read(companyId);
    }, this.config.live.pollMs);
    void this.listen();
  }

  /** Opens a stream from `lastEventId` (a reconnecting client) or from now. */
  async open(companyId: string, lastEventId: string | undefined, sink: LiveSink): Promise<() => void> {
    let cursor: LiveCursor | null = null;
    let expired = false;
    if (lastEventId !== undefined && lastEventId !== '') {
      cursor = parseEventId(lastEventId);
      if (!cursor) throw new AppException(HttpStatus.BAD_REQUEST, ErrorCode.InvalidCursor, 'Last-Event-ID is not an id this stream sent');
      // Older than LIVE_EVENTS_RETENTION (or another company's): say so, rather than skip silently.
      expired = !(await this.events.kept(companyId, cursor));
    }
    if (!cursor || expired) cursor = await this.events.start(companyId);
    if (this.closing) throw new AppException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.ServiceUnavailable, 'Shutting down; reconnect with Last-Event-ID');
    sink.start(eventId(cursor));
    if (expired) sink.reset('history_expired');
    const stream: Stream = { companyId, cursor, sink };
    let streams = this.streams.get(companyId);
    if (!streams) this.streams.set(companyId, (streams = new Set()));
    streams.add(stream);
    this.read(companyId);
    return () => this.remove(stream);
  }

  /** Ends every stream: at shutdown, before the HTTP server waits for its connections. */
  closeAll(): void {
    this.closing = true;
    for (const streams of this.streams.values()) for (const stream of streams) stream.sink.close();
    this.streams.clear();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.closeAll();
    await this.listener?.end().catch(() => undefined);
  }

  private remove(stream: Stream): void {
    const streams = this.streams.get(stream.companyId);
    streams?.delete(stream);
    if (streams?.size === 0) this.streams.delete(stream.companyId);
  }

  /** Reads the company's new events unless a read is running, in which case that read goes round again. */
  private read(companyId: string): void {
    if (this.reading.has(companyId)) {
      this.readAgain.add(companyId);
      return;
    }
    this.reading.add(companyId);
    void this.readRounds(companyId)
      .catch((error: unknown) => this.logger.warn({ err: error, companyId }, 'Reading live events failed; the next poll retries'))
      .finally(() => {
        this.reading.delete(companyId);
        if (this.readAgain.delete(companyId)) this.read(companyId);
      });
  }

  private async readRounds(companyId: string): Promise<void> {
    for (;;) {
      const streams = [...(this.streams.get(companyId) ?? [])];
      if (streams.length === 0) return;
      const from = streams.reduce((min, s) => (after(min, s.cursor) ? s.cursor : min), streams[0].cursor);
      const events = await this.events.after(companyId, from, ROUND);
      for (const stream of streams) {
        const fresh = events.filter((event) => after(event, stream.cursor));
        if (fresh.length === 0) continue;
        stream.cursor = fresh[fresh.length - 1];
        stream.sink.send(fresh);
      }
      if (events.length < ROUND) return;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.database.url });
    client.on('notification', (message) => {
      if (message.payload && this.streams.has(message.payload)) this.read(message.payload);
    });
    client.on('error', (error) => this.logger.warn({ err: error }, 'Live events connection lost; polling until it is back'));
    client.on('end', () => {
      if (!this.stopped) setTimeout(() => void this.listen(), 1_000).unref();
    });
    try {
      await client.connect();
      await client.query('LISTEN live_events');
      this.listener = client;
      // Shut down while connecting: nothing else would end this connection.
      if (this.stopped) await client.end();
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not listen for live events; polling meanwhile');
      await client.end().catch(() => undefined);
    }
  }
}
