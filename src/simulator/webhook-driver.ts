import http from 'node:http';
import https from 'node:https';
import { encodeMetaJson, signMetaBody, signMetaBodySha1 } from './meta-json';

export interface WebhookResponse {
  status: number;
  body: string;
}

export interface WebhookPostOptions {
  /** Extra identical sends after the first (Meta's retries and duplicates). Default 0. */
  duplicates?: number;
  /** Send the copies all at once instead of one after another. */
  concurrent?: boolean;
  /**
   * Replaces the `X-Hub-Signature-256` value (bad-signature tests); `null` leaves the header out.
   * The legacy `X-Hub-Signature` (SHA-1) header is then left out too.
   */
  signature?: string | null;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Meta's webhook calls time out after 20 s. */
const DEFAULT_TIMEOUT_MS = 20_000;

/**
 * Sends webhook POSTs to a receiver exactly as Meta does: the body is Meta's ASCII-escaped JSON
 * (`encodeMetaJson`), `Content-Type: application/json`, and `X-Hub-Signature-256` (plus the legacy
 * SHA-1 `X-Hub-Signature`) computed over those exact bytes with the app secret.
 */
export class WebhookDriver {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    readonly targetUrl: string,
    private readonly appSecret: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.url = new URL(targetUrl);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new Error(`WebhookDriver: unsupported protocol in ${targetUrl}`);
    }
    this.agent =
      this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Serialises `payload` the Meta way, signs it and POSTs it `1 + duplicates` times; one response per send. */
  post(payload: unknown, options: WebhookPostOptions = {}): Promise<WebhookResponse[]> {
    return this.postRaw(encodeMetaJson(payload), options);
  }

  /** POSTs these exact bytes, signed (unless overridden), `1 + duplicates` times. */
  async postRaw(body: Buffer | string, options: WebhookPostOptions = {}): Promise<WebhookResponse[]> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
      ...options.headers,
    };
    if (options.signature === undefined) {
      headers['x-hub-signature'] = signMetaBodySha1(bytes, this.appSecret);
      headers['x-hub-signature-256'] = signMetaBody(bytes, this.appSecret);
    } else if (options.signature !== null) {
      headers['x-hub-signature-256'] = options.signature;
    }
    const count = 1 + Math.max(0, Math.floor(options.duplicates ?? 0));
    if (options.concurrent) {
      return Promise.all(Array.from({ length: count }, () => this.send(bytes, headers)));
    }
    const responses: WebhookResponse[] = [];
    for (let i = 0; i < count; i++) responses.push(await this.send(bytes, headers));
    return responses;
  }

  /** Closes the kept-alive connections. The driver still works afterwards (it opens new ones). */
  close(): void {
    this.agent.destroy();
  }

  private send(bytes: Buffer, headers: Record<string, string>): Promise<WebhookResponse> {
    const transport = this.url.protocol === 'https:' ? https : http;
    return new Promise<WebhookResponse>((resolve, reject) => {
      const request = transport.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(bytes.length) },
          timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`Webhook POST to ${this.targetUrl} timed out`)));
      request.on('error', reject);
      request.end(bytes);
    });
  }
}
