import { Column, Entity, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';

export enum MarketingConsent {
  None = 'none',
  OptedIn = 'opted_in',
  OptedOut = 'opted_out',
}

/** What a contact agreed to on one Page: the marketing opt-in token and every way of saying stop. */
@Entity('consents')
@Index(['contactId'], { unique: true })
export class Consent extends TenantOwned {
  @Column({ type: 'uuid' })
  contactId!: string;

  @Column({ type: 'uuid' })
  channelId!: string;

  @Column({ type: 'enum', enum: MarketingConsent, enumName: 'marketing_consent', default: MarketingConsent.None })
  marketing!: MarketingConsent;

  /** Meta's notification_messages_token: lets the Page send marketing messages until it expires. */
  @Column({ type: 'text', nullable: true })
  marketingToken!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  marketingTokenExpiresAt!: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  marketingTimezone!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  optedOutAt!: Date | null;

  /** Why marketing stopped: `stop_word`, `meta_stop` (STOP NOTIFICATIONS), later `person_unavailable`. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  optOutReason!: string | null;

  /** The `ref` of the last Send-to-Messenger / checkbox plugin opt-in. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  pluginRef!: string | null;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
