import http from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The exact bytes received. */
  raw: Buffer;
}

/**
 * A tiny HTTP server that records every request with its raw bytes and answers `status` (default 200):
 * a stand-in webhook endpoint for checking what the simulator and the WebhookDriver send.
 */
export class WebhookReceiver {
  readonly received: ReceivedRequest[] = [];
  /** The status every request gets. */
  status = 200;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private waiters: { count: number; resolve: () => void }[] = [];

  /** Listens on 127.0.0.1 and resolves with the URL to post to (`http://127.0.0.1:PORT/webhooks/messenger`). */
  async start(path = '/webhooks/messenger'): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          raw: Buffer.concat(chunks),
        });
        res.writeHead(this.status, { 'content-type': 'text/plain' });
        res.end(this.status === 200 ? 'EVENT_RECEIVED' : 'refused');
        this.wake();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('WebhookReceiver: no TCP address');
    return `http://127.0.0.1:${address.port}${path}`;
  }

  /** Resolves once at least `count` requests have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => this.received.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.received.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }
}
