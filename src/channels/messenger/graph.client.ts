import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';

/** Meta's error object, kept whole: decisions rest on code and subcode together. */
export class GraphError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number | null,
    readonly subcode: number | null,
    message: string,
    readonly fbtraceId: string | null,
  ) {
    super(message);
  }

  get tokenInvalid(): boolean {
    return this.code === 190;
  }

  get pageRestricted(): boolean {
    return this.code === 10 && this.subcode === 1893063;
  }
}

/** The call never got an answer we could read: network error, timeout, or a non-JSON body. */
export class GraphUnavailableError extends Error {}

export const SUBSCRIBED_FIELDS = [
  'messages',
  'message_echoes',
  'message_deliveries',
  'message_reads',
  'message_reactions',
  'message_edits',
  'messaging_postbacks',
  'messaging_referrals',
  'messaging_optins',
  'messaging_handovers',
  'standby',
] as const;

export interface GraphProfile {
  first_name?: string;
  last_name?: string;
  profile_pic?: string;
}

/**
 * The only way Guichet talks to Meta. The token travels in the Authorization header, never
 * in the URL, so it cannot end up in access logs or error messages.
 */
@Injectable()
export class GraphClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.base = `${config.messenger.graphUrl}/${config.messenger.graphVersion}`;
    this.timeoutMs = config.messenger.graphTimeoutMs;
  }

  me(token: string): Promise<{ id: string; name: string }> {
    return this.call('GET', '/me?fields=id,name', token);
  }

  subscribeApp(pageId: string, token: string): Promise<{ success: boolean }> {
    return this.call('POST', `/${encodeURIComponent(pageId)}/subscribed_apps?subscribed_fields=${SUBSCRIBED_FIELDS.join(',')}`, token);
  }

  unsubscribeApp(pageId: string, token: string): Promise<{ success: boolean }> {
    return this.call('DELETE', `/${encodeURIComponent(pageId)}/subscribed_apps`, token);
  }

  profile(psid: string, token: string): Promise<GraphProfile> {
    return this.call('GET', `/${encodeURIComponent(psid)}?fields=first_name,last_name,profile_pic`, token);
  }

  private async call<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new GraphUnavailableError(`Graph ${method} failed: ${(error as Error).name}`);
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new GraphUnavailableError(`Graph ${method} answered ${response.status} without JSON`);
    }
    const error = (json as { error?: { code?: number; error_subcode?: number; message?: string; fbtrace_id?: string } }).error;
    if (!response.ok || error) {
      if (!error && response.status >= 500) throw new GraphUnavailableError(`Graph ${method} answered ${response.status}`);
      throw new GraphError(response.status, error?.code ?? null, error?.error_subcode ?? null, error?.message ?? `HTTP ${response.status}`, error?.fbtrace_id ?? null);
    }
    return json as T;
  }
}
