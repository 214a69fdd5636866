import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';

/** A company's ticket queue ("Support FR", "Orders"); each channel feeds one by default. */
@Entity('queues')
@Index(['companyId', 'createdAt', 'id'])
@Index('UQ_queues_company_name', { synchronize: false })
export class Queue extends TenantOwned {
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** New and reopened tickets without an assignee go to the queue's online members, round-robin. */
  @Column({ type: 'boolean', default: false })
  autoAssign!: boolean;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
