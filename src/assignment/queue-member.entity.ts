import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Agent } from '../companies/agent.entity';
import { TenantOwned } from '../companies/tenant-owned';
import { Queue } from '../tickets/queue.entity';

/** An agent who works a queue: auto-assignment hands the queue's tickets to its members. */
@Entity('queue_members')
@Index(['queueId', 'agentId'], { unique: true })
@Index(['agentId'])
export class QueueMember extends TenantOwned {
  @Column({ type: 'uuid' })
  queueId!: string;

  @ManyToOne(() => Queue, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'queue_id' })
  queue?: Queue;

  @Column({ type: 'uuid' })
  agentId!: string;

  @ManyToOne(() => Agent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'agent_id' })
  agent?: Agent;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
