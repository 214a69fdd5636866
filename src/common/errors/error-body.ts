import { HttpException, HttpStatus } from '@nestjs/common';
import { AppException } from './app.exception';
import { ErrorCode, type ErrorBody } from './error-codes';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.TooManyRequests,
  503: ErrorCode.ServiceUnavailable,
};

/** Fastify's own errors (body parsing, limits) carry `statusCode` and an FST_ code. */
const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.PayloadTooLarge, message: 'Request body is larger than 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCode.UnsupportedMediaType, message: 'Content-Type must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCode.InvalidJson, message: 'Content-Length does not match the body' },
  FST_ERR_BAD_URL: { status: 400, code: ErrorCode.ValidationFailed, message: 'The URL is not valid' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.InvalidJson, message: 'Body cannot be empty when Content-Type is application/json' },
};

export interface HttpErrorResult {
  body: ErrorBody;
  headers?: Record<string, string>;
}

/**
 * Maps anything thrown while serving a request to the one error shape. Unknown errors
 * become a bare 500: their message may hold SQL, stack frames or upstream bodies.
 */
export function toErrorBody(error: unknown): HttpErrorResult {
  if (error instanceof AppException) {
    return { body: error.getResponse() as ErrorBody, headers: error.headers };
  }
  if (error instanceof HttpException) {
    const statusCode = error.getStatus();
    const response = error.getResponse();
    const raw = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const message = typeof raw.message === 'string' ? raw.message : statusCode === 404 ? 'Route not found' : error.message;
    return { body: { statusCode, code: CODE_BY_STATUS[statusCode] ?? (statusCode >= 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed), message } };
  }
  const fastifyCode = (error as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    const known = FASTIFY_CODES[fastifyCode];
    return { body: { statusCode: known.status, code: known.code, message: known.message } };
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { body: { statusCode: status, code: CODE_BY_STATUS[status] ?? ErrorCode.ValidationFailed, message: 'Bad request' } };
  }
  return { body: { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: ErrorCode.InternalError, message: 'Internal server error' } };
}
