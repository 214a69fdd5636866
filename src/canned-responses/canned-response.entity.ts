import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';

/** A reply agents reuse, with placeholders filled in when it is sent (see placeholders.ts). */
@Entity('canned_responses')
@Index(['companyId', 'createdAt', 'id'])
export class CannedResponse extends TenantOwned {
  @Column({ type: 'varchar', length: 100 })
  title!: string;

  @Column({ type: 'text' })
  text!: string;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
