import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { type Scope } from '../common/auth/principal';
import { TenantOwned } from './tenant-owned';

@Entity('api_keys')
@Index(['companyId', 'createdAt', 'id'])
export class ApiKey extends TenantOwned {
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The first characters of the key, shown in lists so people can tell keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  @Index({ unique: true })
  @Column({ type: 'char', length: 64, select: false })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: Scope[];

  @Column({ type: 'uuid', nullable: true })
  createdByAgentId!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
