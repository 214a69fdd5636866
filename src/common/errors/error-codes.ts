/** Stable machine-readable codes: clients branch on these, so a code is never renamed. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  InvalidJson = 'invalid_json',
  NestingTooDeep = 'nesting_too_deep',
  ForbiddenKey = 'forbidden_key',
  InvalidString = 'invalid_string',
  InvalidCursor = 'invalid_cursor',
  Unauthorized = 'unauthorized',
  InvalidCredentials = 'invalid_credentials',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  EmailTaken = 'email_taken',
  LastAdmin = 'last_admin',
  NameTaken = 'name_taken',
  QueueInUse = 'queue_in_use',
  PageTaken = 'page_taken',
  PageMismatch = 'page_mismatch',
  GraphError = 'graph_error',
  GraphUnavailable = 'graph_unavailable',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  TooManyRequests = 'too_many_requests',
  IdempotencyKeyReused = 'idempotency_key_reused',
  IdempotencyRequestInProgress = 'idempotency_request_in_progress',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}
