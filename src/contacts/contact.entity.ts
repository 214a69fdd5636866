import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';

export enum ProfileState {
  Pending = 'pending',
  Fetched = 'fetched',
  Unavailable = 'unavailable',
}

/** A customer as one Page sees them: Messenger scopes PSIDs to a Page, so (channel, psid) is the identity. */
@Entity('contacts')
@Index(['companyId', 'createdAt', 'id'])
@Index(['channelId', 'psid'], { unique: true })
@Index('IDX_contacts_name_trgm', { synchronize: false })
export class Contact extends TenantOwned {
  @Column({ type: 'uuid' })
  channelId!: string;

  @Column({ type: 'varchar', length: 64 })
  psid!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  firstName!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  lastName!: string | null;

  @Column({ type: 'text', nullable: true })
  profilePicUrl!: string | null;

  @Column({ type: 'enum', enum: ProfileState, enumName: 'profile_state', default: ProfileState.Pending })
  profileState!: ProfileState;

  /** When the customer last acted (message, postback, reaction, referral): Meta's 24-hour window starts here. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastInteractionAt!: Date | null;

  /** The shop's own customer id. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  externalId!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  /** The last m.me link or ad that brought the customer, as Meta sent it. */
  @Column({ type: 'jsonb', nullable: true })
  lastReferral!: Record<string, unknown> | null;

  /** Which app controls the conversation (Conversation Routing / handover), when Meta told us. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  threadOwnerAppId!: string | null;

  /** True while Meta delivers this conversation in standby[]: another app owns it. */
  @Column({ type: 'boolean', default: false })
  inStandby!: boolean;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
