import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A reaction or edit that arrived before the message it changes. Kept until that message
 * lands, then applied and deleted. Keyed by Page and mid, like the messages themselves.
 */
@Entity('message_mutations')
@Index(['companyId', 'pageId', 'mid'])
@Index(['createdAt'])
export class MessageMutation {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid' })
  companyId!: string;

  @Column({ type: 'varchar', length: 64 })
  pageId!: string;

  @Column({ type: 'varchar', length: 200 })
  mid!: string;

  @Column({ type: 'jsonb' })
  event!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
