import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';

export const IDEMPOTENCY_TTL_HOURS = 24;
/** A claim older than this is taken to belong to a process that died mid-request. */
export const ABANDONED_CLAIM_MINUTES = 5;

/** `claim` identifies this holder: a request whose abandoned claim was taken over can no longer write. */
export type ClaimResult = { claimed: true; claim: string } | { claimed: false; existing: IdempotencyKey };

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>) {}

  /**
   * Claims the key with one statement: the unique (company_id, key) decides the race, never
   * a read-then-write. An expired record, or an abandoned claim of the same request, is taken over.
   */
  async claim(companyId: string, key: string, fingerprint: string): Promise<ClaimResult> {
    const rows: Array<{ claim: string }> = await this.keys.query(
      `INSERT INTO idempotency_keys (company_id, key, fingerprint, state, locked_at, expires_at)
       VALUES ($1, $2, $3, 'in_progress', now(), now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}))
       ON CONFLICT (company_id, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, state = 'in_progress', locked_at = now(),
             created_at = now(), expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL
       WHERE idempotency_keys.expires_at < now()
          OR (idempotency_keys.state = 'in_progress'
              AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
              AND idempotency_keys.locked_at < now() - make_interval(mins => ${ABANDONED_CLAIM_MINUTES}))
       RETURNING locked_at::text AS claim`,
      [companyId, key, fingerprint],
    );
    if (rows.length > 0) return { claimed: true, claim: rows[0].claim };
    const existing = await this.keys.findOneBy({ companyId, key });
    // Deleted between our insert and our read (a failed first attempt released it): claim again.
    if (!existing) return this.claim(companyId, key, fingerprint);
    return { claimed: false, existing };
  }

  async complete(companyId: string, key: string, claim: string, status: number, body: unknown): Promise<void> {
    await this.keys.query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $4, response_body = $5
       WHERE company_id = $1 AND key = $2 AND state = 'in_progress' AND locked_at = $3::timestamptz`,
      [companyId, key, claim, status, JSON.stringify(body)],
    );
  }

  /** A failed request stores nothing, so the client may retry it with the same key. */
  async release(companyId: string, key: string, claim: string): Promise<void> {
    await this.keys.query(`DELETE FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND state = 'in_progress' AND locked_at = $3::timestamptz`, [companyId, key, claim]);
  }

  /** Housekeeping across all companies: expired records are useless to everyone. */
  async pruneExpired(): Promise<number> {
    const result = await this.keys.createQueryBuilder().delete().where('expires_at < now()').execute();
    return result.affected ?? 0;
  }
}
