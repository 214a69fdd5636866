import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, HttpStatus, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { type FastifyReply } from 'fastify';
import { from, type Observable, of } from 'rxjs';
import { type AuthenticatedRequest } from '../auth/auth.decorators';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-codes';
import { IdempotencyState } from './idempotency-key.entity';
import { IdempotencyRepository } from './idempotency.repository';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** JSON with sorted keys, so the same body sent with another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stripe-style idempotency for creating routes (attach with @Idempotent()). The first
 * successful response is stored and replayed; a failure stores nothing, so it can be retried.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly repository: IdempotencyRepository,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
      throw AppException.badRequest('Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    const principal = request.principal;
    if (!principal) throw new Error('@Idempotent() needs an authenticated route');

    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url ?? ''} ${canonical(request.params)} ${canonical(request.body ?? null)}`)
      .digest('hex');
    const claim = await this.repository.claim(principal.companyId, header, fingerprint);

    if (!claim.claimed) {
      const { existing } = claim;
      if (existing.fingerprint !== fingerprint) {
        throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was used with a different request');
      }
      if (existing.state === IdempotencyState.InProgress) {
        throw new AppException(HttpStatus.CONFLICT, ErrorCode.IdempotencyRequestInProgress, 'A request with this Idempotency-Key is still in progress');
      }
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      void reply.header('Idempotent-Replayed', 'true');
      void reply.status(existing.responseStatus ?? HttpStatus.OK);
      return of(existing.responseBody);
    }

    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const { claim: holder } = claim;
    return from(
      (async () => {
        let body: unknown;
        try {
          body = await new Promise<unknown>((resolve, reject) => {
            next.handle().subscribe({ next: resolve, error: reject, complete: () => resolve(undefined) });
          });
        } catch (error) {
          await this.repository.release(principal.companyId, header, holder);
          throw error;
        }
        // The work is committed now. If storing its response fails, the claim stays in progress
        // (409 to retries, then taken over after ABANDONED_CLAIM_MINUTES) rather than being
        // released, which would let an immediate retry do the work a second time.
        // Stored as the client saw it: Dates become strings once, here, not differently on replay.
        await this.repository.complete(principal.companyId, header, holder, status, body === undefined ? null : JSON.parse(JSON.stringify(body)));
        return body;
      })(),
    );
  }
}
