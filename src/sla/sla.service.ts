import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { type SlaTargetKind, type TicketPriority } from '../tickets/ticket.entity';
import { addBusinessMinutes } from './business-hours';
import { type SlaPolicyDto, type SlaPolicyResponseDto } from './sla.dto';
import { SlaRepository } from './sla.repository';

/**
 * SLA policies and the reply clocks they start. A clock starts when a customer's message finds
 * nobody answering (first reply until an agent's first public reply, next reply after that),
 * stops at an agent's public reply or when the ticket stops waiting on the company (pending,
 * on hold, solved, closed), and is recomputed when the priority changes. A policy change applies
 * to clocks started (or recomputed by a priority change) after it, as in Zendesk.
 */
@Injectable()
export class SlaService {
  constructor(private readonly sla: SlaRepository) {}

  async get(companyId: string): Promise<SlaPolicyResponseDto> {
    const { timeZone, policy } = await this.sla.find(companyId);
    return { timeZone, targets: policy?.targets ?? [], hours: policy?.hours ?? [], holidays: policy?.holidays ?? [], updatedAt: policy?.updatedAt ?? null };
  }

  async put(companyId: string, dto: SlaPolicyDto): Promise<SlaPolicyResponseDto> {
    const priorities = dto.targets.map((t) => t.priority);
    if (new Set(priorities).size !== priorities.length) throw AppException.badRequest('One target per priority', { priorities });
    const backwards = dto.hours.filter((h) => h.close <= h.open);
    if (backwards.length > 0) throw AppException.badRequest('Each opening closes after it opens, the same day', { hours: backwards });
    const overlapping = dto.hours.filter((h, i) => dto.hours.some((o, j) => j !== i && o.day === h.day && o.open < h.close && h.open < o.close));
    // Counted twice, an overlap would make targets come due early.
    if (overlapping.length > 0) throw AppException.badRequest('Openings of the same day must not overlap', { hours: overlapping });
    if (dto.hours.length === 0 && dto.targets.some((t) => t.businessHours)) throw AppException.badRequest('Targets counted in business hours need business hours');
    await this.sla.save(companyId, {
      targets: dto.targets.map(({ priority, firstReplyMinutes, nextReplyMinutes, businessHours }) => ({ priority, firstReplyMinutes, nextReplyMinutes, businessHours })),
      hours: dto.hours.map(({ day, open, close }) => ({ day, open, close })),
      holidays: [...new Set(dto.holidays)].sort(),
    });
    return this.get(companyId);
  }

  /** When a reply of this kind is due, for a customer waiting since `since`; null when the policy sets no such target. */
  async dueAt(manager: EntityManager, companyId: string, priority: TicketPriority, target: SlaTargetKind, since: Date): Promise<Date | null> {
    const { timeZone, policy } = await this.sla.find(companyId, manager);
    const rule = policy?.targets.find((t) => t.priority === priority);
    const minutes = target === 'first_reply' ? rule?.firstReplyMinutes : rule?.nextReplyMinutes;
    if (!policy || !rule || !minutes) return null;
    if (!rule.businessHours) return new Date(since.getTime() + minutes * 60_000);
    try {
      return addBusinessMinutes(since, minutes, { timeZone, hours: policy.hours, holidays: policy.holidays });
    } catch (error) {
      // A target beyond ten years of these hours runs no clock, rather than refusing the customer's message.
      if (error instanceof RangeError) return null;
      throw error;
    }
  }

  /** Starts or moves the ticket's reply clock for a customer waiting since `since`. */
  async startClock(manager: EntityManager, companyId: string, ticketId: string, priority: TicketPriority, target: SlaTargetKind, since: Date): Promise<void> {
    const due = await this.dueAt(manager, companyId, priority, target, since);
    await this.sla.setClock(manager, companyId, ticketId, due, due ? target : null);
  }

  recordBreaches(limit: number): Promise<number> {
    return this.sla.recordBreaches(limit);
  }
}
