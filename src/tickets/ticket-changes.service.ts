import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { AgentRole, type Principal } from '../common/auth/principal';
import { SlaService } from '../sla/sla.service';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { QueueRepository } from './queue.repository';
import { actorOf } from './actor';
import { TicketEventKind } from './ticket-event.entity';
import { type NewTicketEvent, TicketEventRepository } from './ticket-event.repository';
import { allowedFrom, assertNotClosed, mayTransition } from './ticket-status';
import { type Ticket, TicketStatus, WORKLOAD_STATUSES } from './ticket.entity';
import { STOPPED_CLOCK, type TicketChanges, TicketRepository } from './ticket.repository';
import { type BulkResultDto, type BulkResultsDto, type BulkUpdateDto, mapEvent, MAX_TAGS, type MergeDto, type NoteDto, type TicketDto, type TicketEventDto, type UpdateTicketDto } from './tickets.dto';
import { TicketsService } from './tickets.service';

/**
 * Changes agents make to a ticket: each one checked (transitions, assignee, queue, tags), applied
 * under the ticket's row lock and recorded as a timeline event in the same transaction, so the
 * timeline never shows a change that did not happen, nor misses one that did.
 */
@Injectable()
export class TicketChangesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tickets: TicketRepository,
    private readonly events: TicketEventRepository,
    private readonly queues: QueueRepository,
    private readonly presenter: TicketsService,
    private readonly assignment: AssignmentService,
    private readonly sla: SlaService,
  ) {}

  async update(principal: Principal, id: string, dto: UpdateTicketDto): Promise<TicketDto> {
    const { ticket, mayFree } = await this.apply(principal, id, dto);
    if (mayFree) await this.assignment.assignAfter(principal.companyId);
    return this.presenter.present(principal.companyId, ticket);
  }

  /**
   * The same changes on up to 100 tickets, each in its own transaction: one ticket refused (closed,
   * a transition it cannot make) leaves the others changed, and the answer says, per ticket, what
   * a PATCH of it alone would have answered. One after another, so a bulk change never holds more
   * than one ticket's lock.
   */
  async bulkUpdate(principal: Principal, dto: BulkUpdateDto): Promise<BulkResultsDto> {
    const results: BulkResultDto[] = [];
    let mayFree = false;
    for (const id of dto.ids) {
      try {
        const applied = await this.apply(principal, id, dto.changes);
        mayFree ||= applied.mayFree;
        results.push({ id, status: HttpStatus.OK, ticket: await this.presenter.present(principal.companyId, applied.ticket), error: null });
      } catch (error) {
        if (!(error instanceof AppException)) throw error;
        results.push({ id, status: error.getStatus(), ticket: null, error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } });
      }
    }
    // Once for the whole batch: a hundred solved tickets free places in one assignment run.
    if (mayFree) await this.assignment.assignAfter(principal.companyId);
    return { results };
  }

  /** `mayFree`: the change may let a waiting ticket go to someone (a workload shrank, a ticket needs an agent). */
  private apply(principal: Principal, id: string, dto: UpdateTicketDto): Promise<{ ticket: Ticket; mayFree: boolean }> {
    const { companyId } = principal;
    return this.dataSource.transaction(async (manager) => {
      const ticket = await this.open(manager, companyId, id);
      const at = new Date();
      const changes: TicketChanges = {};
      const events: NewTicketEvent[] = [];
      const record = (kind: TicketEventKind, data: Record<string, unknown>) => events.push({ companyId, ticketId: id, kind, ...actorOf(principal), data, at });

      if (dto.status !== undefined && dto.status !== ticket.status) {
        const by = principal.kind === 'agent' && principal.role === AgentRole.Admin ? 'admin' : 'agent';
        if (!mayTransition(ticket.status, dto.status, by)) {
          throw new AppException(HttpStatus.BAD_REQUEST, ErrorCode.InvalidTransition, `A ticket cannot go from ${ticket.status} to ${dto.status}${dto.status === TicketStatus.Closed ? ' (only an admin, or the auto-close after a ticket stayed solved, closes one)' : ''}`, {
            from: ticket.status,
            to: dto.status,
            allowed: allowedFrom(ticket.status, by),
          });
        }
        changes.status = dto.status;
        if (dto.status === TicketStatus.Solved) changes.solvedAt = at;
        // Reopened: no longer solved. Closed: it stays solved when it was, for time-to-solve.
        else if (ticket.status === TicketStatus.Solved && dto.status !== TicketStatus.Closed) changes.solvedAt = null;
        if (dto.status === TicketStatus.Closed) changes.closedAt = at;
        record(TicketEventKind.StatusChanged, { from: ticket.status, to: dto.status });
      }
      if (dto.priority !== undefined && dto.priority !== ticket.priority) {
        changes.priority = dto.priority;
        record(TicketEventKind.PriorityChanged, { from: ticket.priority, to: dto.priority });
      }
      if (dto.assigneeId !== undefined && dto.assigneeId !== ticket.assigneeId) {
        if (dto.assigneeId !== null && !(await this.tickets.assignable(manager, companyId, dto.assigneeId))) {
          throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.InvalidAssignee, 'The assignee must be an active agent of the company', { assigneeId: dto.assigneeId });
        }
        changes.assigneeId = dto.assigneeId;
        record(TicketEventKind.AssigneeChanged, { from: ticket.assigneeId, to: dto.assigneeId });
      }
      if (dto.queueId !== undefined && dto.queueId !== ticket.queueId) {
        if (!(await this.queues.findById(companyId, dto.queueId, manager))) {
          throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.InvalidQueue, 'No such queue in the company', { queueId: dto.queueId });
        }
        changes.queueId = dto.queueId;
        record(TicketEventKind.QueueChanged, { from: ticket.queueId, to: dto.queueId });
      }
      if (dto.tags) {
        const remove = new Set(dto.tags.remove ?? []);
        const next = [...new Set([...ticket.tags, ...(dto.tags.add ?? [])])].filter((tag) => !remove.has(tag)).sort();
        if (next.length > MAX_TAGS) {
          throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.TooManyTags, `A ticket carries at most ${MAX_TAGS} tags`, { max: MAX_TAGS, wouldHave: next.length });
        }
        const added = next.filter((tag) => !ticket.tags.includes(tag));
        const removed = ticket.tags.filter((tag) => !next.includes(tag));
        if (added.length > 0 || removed.length > 0) {
          changes.tags = next;
          record(TicketEventKind.TagsChanged, { added, removed });
        }
      }

      if (events.length === 0) return { ticket, mayFree: false };
      Object.assign(changes, await this.clock(manager, ticket, changes, at));
      await this.tickets.update(manager, companyId, id, changes);
      await this.events.insert(manager, events);
      return { ticket: { ...ticket, ...changes }, mayFree: changes.status !== undefined || changes.assigneeId !== undefined || changes.queueId !== undefined };
    });
  }

  /**
   * The reply clock after a change: it stops when the ticket no longer waits on the company
   * (pending, on hold, solved, closed), and a new priority moves it to that priority's target.
   */
  private async clock(manager: EntityManager, ticket: Ticket, changes: TicketChanges, at: Date): Promise<TicketChanges> {
    const status = changes.status ?? ticket.status;
    if (!(WORKLOAD_STATUSES as readonly TicketStatus[]).includes(status)) return ticket.awaitingReplySince || ticket.replyDueAt ? STOPPED_CLOCK : {};
    if (!changes.priority || !ticket.awaitingReplySince) return {};
    const target = ticket.firstRepliedAt ? 'next_reply' : 'first_reply';
    const due = await this.sla.dueAt(manager, ticket.companyId, changes.priority, target, ticket.awaitingReplySince);
    return { replyDueAt: due, replyTarget: due ? target : null, replyBreached: ticket.replyBreached && due !== null && due <= at };
  }

  /**
   * An agent takes a ticket: it becomes theirs if nobody has it (or it is theirs already), under
   * the row lock, so of two agents claiming at once exactly one gets it and the other a 409.
   */
  async claim(principal: Principal, id: string): Promise<TicketDto> {
    const { companyId } = principal;
    const ticket = await this.dataSource.transaction(async (manager) => {
      const current = await this.open(manager, companyId, id);
      // After the lookup: another company's ticket is a 404 whoever asks.
      if (principal.kind !== 'agent') throw AppException.badRequest('Only an agent can claim a ticket; an API key assigns with PATCH assigneeId');
      const { agentId } = principal;
      if (current.assigneeId === agentId) return current;
      if (current.assigneeId !== null) {
        throw new AppException(HttpStatus.CONFLICT, ErrorCode.AlreadyAssigned, 'Another agent has this ticket', { assigneeId: current.assigneeId });
      }
      await this.tickets.update(manager, companyId, id, { assigneeId: agentId });
      await this.events.insert(manager, [{ companyId, ticketId: id, kind: TicketEventKind.AssigneeChanged, ...actorOf(principal), data: { from: null, to: agentId, reason: 'claimed' }, at: new Date() }]);
      return { ...current, assigneeId: agentId };
    });
    return this.presenter.present(companyId, ticket);
  }

  /**
   * Merges ticket `id` into `intoTicketId`, two tickets of one contact: the whole timeline moves
   * over and keeps its times, so it interleaves with the target's; the merged ticket is closed
   * with a pointer, and both timelines say what happened.
   */
  async merge(principal: Principal, id: string, dto: MergeDto): Promise<TicketDto> {
    const { companyId } = principal;
    const target = await this.dataSource.transaction(async (manager) => {
      // After the lookup: another company's ticket is a 404 whatever the body says.
      if (dto.intoTicketId === id) {
        await this.open(manager, companyId, id);
        throw new AppException(HttpStatus.BAD_REQUEST, ErrorCode.MergeNotAllowed, 'A ticket cannot be merged into itself');
      }
      // Both rows locked in one order, so two merges of the same pair cannot deadlock.
      const [first, second] = [id, dto.intoTicketId].sort();
      const locked = new Map<string, Ticket>();
      for (const ticketId of [first, second]) locked.set(ticketId, await this.open(manager, companyId, ticketId));
      const source = locked.get(id)!;
      const into = locked.get(dto.intoTicketId)!;
      if (source.contactId !== into.contactId) {
        throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.MergeNotAllowed, 'Only tickets of the same contact can be merged', { contactId: source.contactId, intoContactId: into.contactId });
      }
      await this.tickets.moveTimeline(manager, companyId, id, dto.intoTicketId);
      const at = new Date();
      await this.tickets.update(manager, companyId, id, { status: TicketStatus.Closed, closedAt: at, mergedIntoId: dto.intoTicketId, ...STOPPED_CLOCK });
      await this.events.insert(manager, [
        { companyId, ticketId: id, kind: TicketEventKind.Merged, ...actorOf(principal), data: { into: dto.intoTicketId, from: source.status, to: TicketStatus.Closed }, at },
        { companyId, ticketId: dto.intoTicketId, kind: TicketEventKind.Merged, ...actorOf(principal), data: { from: id, number: source.number }, at },
      ]);
      return (await this.tickets.lock(manager, companyId, dto.intoTicketId)) ?? into;
    });
    // The merged ticket is closed: its assignee has one ticket fewer.
    await this.assignment.assignAfter(companyId);
    return this.presenter.present(companyId, target);
  }

  /** A private note: in the timeline, for agents only, never sent. */
  async addNote(principal: Principal, id: string, dto: NoteDto): Promise<TicketEventDto> {
    const { companyId } = principal;
    const note = await this.dataSource.transaction(async (manager) => {
      await this.open(manager, companyId, id);
      const [inserted] = await this.events.insert(manager, [{ companyId, ticketId: id, kind: TicketEventKind.Note, ...actorOf(principal), text: dto.text, at: new Date() }]);
      return inserted;
    });
    return mapEvent(note);
  }

  /** The ticket, locked; a closed ticket is final and refuses every change. */
  private async open(manager: EntityManager, companyId: string, id: string): Promise<Ticket> {
    const ticket = await this.tickets.lock(manager, companyId, id);
    if (!ticket) throw AppException.notFound('Ticket');
    assertNotClosed(ticket);
    return ticket;
  }
}
