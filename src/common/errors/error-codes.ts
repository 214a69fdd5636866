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
  InvalidMessage = 'invalid_message',
  DeliveryNotRetryable = 'delivery_not_retryable',
  InvalidTransition = 'invalid_transition',
  TicketClosed = 'ticket_closed',
  AlreadyAssigned = 'already_assigned',
  MergeNotAllowed = 'merge_not_allowed',
  InvalidAssignee = 'invalid_assignee',
  InvalidQueue = 'invalid_queue',
  TooManyTags = 'too_many_tags',
  // Policy refusals (src/delivery/policy.ts RefusalCode), answered as 422 when a message may not be sent.
  OutsideMessagingWindow = 'outside_messaging_window',
  NeverContacted = 'never_contacted',
  ChannelUnavailable = 'channel_unavailable',
  OptedOut = 'opted_out',
  NoMarketingConsent = 'no_marketing_consent',
  MarketingNotEnabled = 'marketing_not_enabled',
  NoUtilityTemplate = 'no_utility_template',
  InternalError = 'internal_error',
}

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}
