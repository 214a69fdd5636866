import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { AgentRole } from '../common/auth/principal';
import { TenantOwned } from './tenant-owned';

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

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
