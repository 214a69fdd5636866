export interface Res<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
}

export interface ReqOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is, bypassing JSON.stringify: for malformed and oversized bodies. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A thin HTTP client over a real socket: tests talk to the service the way clients do. */
export class HttpClient {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, options: ReqOptions = {}): Promise<Res<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) parsed = JSON.parse(text);
    return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed as T, text };
  }

  get<T = any>(path: string, options?: ReqOptions): Promise<Res<T>> {
    return this.call<T>('GET', path, options);
  }
  post<T = any>(path: string, options?: ReqOptions): Promise<Res<T>> {
    return this.call<T>('POST', path, options);
  }
  patch<T = any>(path: string, options?: ReqOptions): Promise<Res<T>> {
    return this.call<T>('PATCH', path, options);
  }
  put<T = any>(path: string, options?: ReqOptions): Promise<Res<T>> {
    return this.call<T>('PUT', path, options);
  }
  delete<T = any>(path: string, options?: ReqOptions): Promise<Res<T>> {
    return this.call<T>('DELETE', path, options);
  }
}
