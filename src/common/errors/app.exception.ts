import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorCode, type ErrorBody } from './error-codes';

/** The one exception services throw: a status, a stable code and a message safe to show. */
export class AppException extends HttpException {
  constructor(status: HttpStatus, readonly code: ErrorCode, message: string, readonly details?: unknown, readonly headers?: Record<string, string>) {
    super({ statusCode: status, code, message, details } satisfies ErrorBody, status);
  }

  static badRequest(message: string, details?: unknown): AppException {
    return new AppException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, details);
  }

  static notFound(what = 'Resource'): AppException {
    return new AppException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `${what} not found`);
  }

  static unauthorized(message = 'Authentication required'): AppException {
    return new AppException(HttpStatus.UNAUTHORIZED, ErrorCode.Unauthorized, message);
  }

  static forbidden(message = 'You are not allowed to do this'): AppException {
    return new AppException(HttpStatus.FORBIDDEN, ErrorCode.Forbidden, message);
  }

  static conflict(message: string, code: ErrorCode = ErrorCode.Conflict): AppException {
    return new AppException(HttpStatus.CONFLICT, code, message);
  }
}
