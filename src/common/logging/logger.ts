import { type LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * The one list of what must never reach a log line. Paths cover request logs (headers),
 * DTOs and job data, wherever they are logged.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  'password',
  'passwordHash',
  'accessToken',
  'token',
  'apiKey',
  'secret',
  'pageAccessToken',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.token',
  '*.apiKey',
  '*.key',
  '*.secret',
  '*.pageAccessToken',
  '*.*.password',
  '*.*.accessToken',
  '*.*.token',
  '*.*.pageAccessToken',
];

/** Driver errors carry the SQL and its parameters (password and key hashes among them): never log those. */
const DROPPED_ERROR_FIELDS = ['query', 'parameters', 'driverError', 'config', 'request', 'response'];
function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const field of DROPPED_ERROR_FIELDS) delete serialized[field];
  return serialized;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'guichet', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/** Routes Nest's own logging (bootstrap, Logger instances) into the same structured stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes the context (the Logger's name) last; an error stack may come before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (message !== null && typeof message === 'object') {
      const [msg] = rest;
      this.pino[level]({ context, ...(message) }, typeof msg === 'string' ? msg : undefined);
    } else {
      const stack = typeof rest[0] === 'string' ? rest[0] : undefined;
      this.pino[level]({ context, stack }, String(message));
    }
  }
}
