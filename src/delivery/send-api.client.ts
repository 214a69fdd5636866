import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { parseBusinessUseCaseUsage, type SendFailure } from './graph-errors';

export type SendOutcome = { ok: true; mid: string } | { ok: false; failure: SendFailure; message: string };

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The Send API call, on node:http rather than fetch because the difference between "never left"
 * and "left, no answer" decides whether a message may be resent: a failure before the request
 * was flushed to the socket is `timeout_before_send`/`network` (safe to retry), anything after
 * is `timeout_after_send` (the outcome is unknown). The token travels in a header.
 */
@Injectable()
export class SendApiClient implements OnModuleDestroy {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.base = new URL(`${config.messenger.graphUrl}/${config.messenger.graphVersion}/`);
    const Agent = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 256 });
    this.connectTimeoutMs = config.messenger.graphConnectTimeoutMs;
    this.responseTimeoutMs = config.messenger.graphTimeoutMs;
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }

  send(pageId: string, token: string, body: Record<string, unknown>): Promise<SendOutcome> {
    const url = new URL(`${encodeURIComponent(pageId)}/messages`, this.base);
    const json = Buffer.from(JSON.stringify(body));
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve) => {
      // The request is "sent" once its bytes are flushed to the socket ('finish'): connected,
      // TLS done, nothing left in our buffers. Before that, nothing can have reached Meta.
      let flushed = false;
      let responded = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = request(url, {
        method: 'POST',
        agent: this.agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': json.length },
      });
      const lost = (error?: NodeJS.ErrnoException): void => {
        // A kept-alive socket the server had already closed: it read nothing (Node's documented retry case).
        const staleSocket = req.reusedSocket && error?.code === 'ECONNRESET' && !responded;
        if (flushed && !staleSocket) finish({ ok: false, failure: { transport: 'timeout_after_send' }, message: 'No answer from Graph after the request was sent' });
        else finish({ ok: false, failure: { transport: 'network' }, message: `Could not reach Graph${error?.code ? ` (${error.code})` : ''}` });
      };
      timer = setTimeout(() => {
        finish({ ok: false, failure: { transport: 'timeout_before_send' }, message: 'Timed out connecting to Graph' });
        req.destroy();
      }, this.connectTimeoutMs);
      req.on('finish', () => {
        flushed = true;
        clearTimeout(timer);
        timer = setTimeout(() => {
          lost();
          req.destroy();
        }, this.responseTimeoutMs);
      });
      req.on('error', lost);
      req.on('response', (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('error', () => lost());
        res.on('aborted', () => lost());
        res.on('end', () => finish(interpret(res, Buffer.concat(chunks).toString('utf8'))));
      });
      req.end(json);
    });
  }
}

function interpret(res: http.IncomingMessage, text: string): SendOutcome {
  const status = res.statusCode ?? 0;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  if (status >= 200 && status < 300 && typeof record.message_id === 'string') return { ok: true, mid: record.message_id };
  const error = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : {};
  const retryAfter = retryAfterSeconds(res.headers['retry-after']);
  const usage = res.headers['x-business-use-case-usage'];
  return {
    ok: false,
    message: typeof error.message === 'string' ? error.message.slice(0, 300) : `HTTP ${status}`,
    failure: {
      // A 2xx without a message id tells us nothing about whether Meta took the message.
      ...(status >= 200 && status < 300 ? {} : { httpStatus: status }),
      code: typeof error.code === 'number' ? error.code : null,
      subcode: typeof error.error_subcode === 'number' ? error.error_subcode : null,
      retryAfterSeconds: retryAfter,
      businessUseCaseWaitSeconds: parseBusinessUseCaseUsage(Array.isArray(usage) ? usage[0] : usage),
    },
  };
}

/** `Retry-After` is either seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterSeconds(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds : null;
  const at = Date.parse(header);
  if (Number.isNaN(at)) return null;
  const wait = (at - Date.now()) / 1_000;
  return wait > 0 ? wait : null;
}
