import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('companies')
export class Company {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** IANA zone for business hours, SLAs and quiet hours. */
  @Column({ type: 'varchar', length: 64, default: 'UTC' })
  timeZone!: string;

  /** The last ticket number handed out; incremented under this row's lock, so numbers never repeat. */
  @Column({ type: 'integer', default: 0 })
  lastTicketNumber!: number;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
