import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Company } from '../../companies/company.entity';

export enum IdempotencyState {
  InProgress = 'in_progress',
  Completed = 'completed',
}

/** The first response to a keyed request, replayed to retries for 24 hours. */
@Entity('idempotency_keys')
@Index(['expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn({ type: 'uuid' })
  companyId!: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id' })
  company?: Company;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 of method, route, path parameters and canonical body. */
  @Column({ type: 'char', length: 64 })
  fingerprint!: string;

  @Column({ type: 'enum', enum: IdempotencyState, enumName: 'idempotency_state' })
  state!: IdempotencyState;

  @Column({ type: 'smallint', nullable: true })
  responseStatus!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  responseBody!: unknown;

  @Column({ type: 'timestamptz', precision: 3 })
  lockedAt!: Date;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'timestamptz', precision: 3 })
  expiresAt!: Date;
}
