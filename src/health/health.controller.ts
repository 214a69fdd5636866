import { Controller, Get, HttpStatus, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorFunction, type HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/auth.decorators';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { JobsWorker } from '../jobs/jobs.worker';
import { RedisService } from '../jobs/redis.provider';

@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    @Optional() private readonly worker?: JobsWorker,
  ) {}

  /** The process is up and its event loop turns; nothing external is checked. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready to take work: PostgreSQL and Redis answer, and in worker roles the workers consume. */
  @Get('ready')
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [() => this.db.pingCheck('postgres', { timeout: 2_000 }), () => this.redisCheck()];
    if (this.worker) checks.push(() => this.workersCheck());
    try {
      return await this.health.check(checks);
    } catch (error) {
      const details = (error as { response?: unknown }).response;
      throw new AppException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.ServiceUnavailable, 'Not ready', details);
    }
  }

  private async redisCheck(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('redis');
    try {
      const pong = await Promise.race([this.redis.client.ping(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref())]);
      return pong === 'PONG' ? check.up() : check.down({ message: `unexpected reply ${String(pong)}` });
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }

  private workersCheck(): HealthIndicatorResult {
    const check = this.indicators.check('workers');
    return this.worker?.allRunning() ? check.up() : check.down({ message: 'BullMQ workers are not running' });
  }
}
