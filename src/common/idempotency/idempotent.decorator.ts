import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Lets clients retry a creating request safely with an `Idempotency-Key` header. */
export const Idempotent = (): MethodDecorator =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Up to 255 printable ASCII characters. The first response is replayed for 24 hours with `Idempotent-Replayed: true`; the same key with another body is 422, and while the first request runs, 409.',
    }),
  );
