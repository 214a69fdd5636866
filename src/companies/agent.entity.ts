import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { AgentRole } from '../common/auth/principal';
import { TenantOwned } from './tenant-owned';

/** Whether an agent takes auto-assigned tickets now: only `online` agents do. */
export enum AgentAvailability {
  Online = 'online',
  Away = 'away',
  Offline = 'offline',
}

export const DEFAULT_CAPACITY = 10;

@Entity('agents')
@Index(['companyId', 'createdAt', 'id'])
export class Agent extends TenantOwned {
  /** Stored lower-cased; unique across companies because login takes only an email. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'enum', enum: AgentRole, enumName: 'agent_role' })
  role!: AgentRole;

  @Column({ type: 'varchar', length: 255, select: false })
  passwordHash!: string;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deactivatedAt!: Date | null;

  @Column({ type: 'enum', enum: AgentAvailability, enumName: 'agent_availability', default: AgentAvailability.Offline })
  availability!: AgentAvailability;

  /** How many new or open tickets auto-assignment may give the agent; manual assignment may go beyond. */
  @Column({ type: 'integer', default: DEFAULT_CAPACITY })
  capacity!: number;

  /** Round-robin order: the agent assigned longest ago goes next. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastAssignedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
