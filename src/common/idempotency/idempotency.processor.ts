import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobOutcome } from '../../jobs/job.catalogue';
import { OnJob } from '../../jobs/on-job.decorator';
import { IdempotencyRepository } from './idempotency.repository';

@Injectable()
export class IdempotencyProcessor {
  private readonly logger = new Logger(IdempotencyProcessor.name);

  constructor(private readonly repository: IdempotencyRepository) {}

  @OnJob(JobName.PruneIdempotencyKeys)
  async prune(): Promise<JobOutcome> {
    const removed = await this.repository.pruneExpired();
    if (removed > 0) this.logger.log({ removed }, 'Pruned expired idempotency keys');
    return removed > 0 ? 'done' : 'skipped';
  }
}
