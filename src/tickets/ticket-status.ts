import { HttpStatus } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { type Ticket, TicketStatus } from './ticket.entity';

/** Who asks for a status change: the rules differ for agents, admins and Guichet's own automation. */
export type StatusChanger = 'agent' | 'admin' | 'automation';

/**
 * The transitions agents (and API keys) may make by hand. `new` is only ever a ticket's first
 * status; `closed` is final and reached by automation after a ticket stayed solved, or by an admin.
 */
const BY_HAND: Record<TicketStatus, readonly TicketStatus[]> = {
  [TicketStatus.New]: [TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold, TicketStatus.Solved],
  [TicketStatus.Open]: [TicketStatus.Pending, TicketStatus.OnHold, TicketStatus.Solved],
  [TicketStatus.Pending]: [TicketStatus.Open, TicketStatus.OnHold, TicketStatus.Solved],
  [TicketStatus.OnHold]: [TicketStatus.Open, TicketStatus.Pending, TicketStatus.Solved],
  [TicketStatus.Solved]: [TicketStatus.Open],
  [TicketStatus.Closed]: [],
};

/** Whether `by` may move a ticket from `from` to `to`. Staying put is not a transition and always allowed. */
export function mayTransition(from: TicketStatus, to: TicketStatus, by: StatusChanger): boolean {
  if (from === to) return true;
  if (from === TicketStatus.Closed || to === TicketStatus.New) return false;
  if (to === TicketStatus.Closed) return by === 'admin' || (by === 'automation' && from === TicketStatus.Solved);
  return BY_HAND[from].includes(to);
}

/** The statuses a ticket may go to from `from`, for the error that refuses another one. */
export function allowedFrom(from: TicketStatus, by: StatusChanger): TicketStatus[] {
  return Object.values(TicketStatus).filter((to) => to !== from && mayTransition(from, to, by));
}

/** A closed ticket is final: every change, note and reply to it is refused the same way. */
export function assertNotClosed(ticket: Pick<Ticket, 'status' | 'closedAt'>): void {
  if (ticket.status === TicketStatus.Closed) throw new AppException(HttpStatus.CONFLICT, ErrorCode.TicketClosed, 'The ticket is closed: it cannot change any more', { closedAt: ticket.closedAt });
}
