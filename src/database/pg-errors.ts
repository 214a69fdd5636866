import { QueryFailedError } from 'typeorm';

/** PostgreSQL's unique_violation, optionally on one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}

export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23503';
}

/**
 * Errors that say nothing about the data: retrying the same work later can succeed.
 * 40001 serialization, 40P01 deadlock, 55P03 lock timeout, 57014 statement timeout,
 * 57P01-03 shutdown, 53xxx resources, 08xxx connection; and no driver code at all
 * (a connection that died under us).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const lostConnection = /Connection terminated|ECONNRESET|ECONNREFUSED|not queryable/;
  if (!(error instanceof QueryFailedError)) return error instanceof Error && lostConnection.test(error.message);
  const code = (error.driverError as { code?: string }).code ?? '';
  if (code === '') return lostConnection.test(error.message);
  return ['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('53') || code.startsWith('08');
}
