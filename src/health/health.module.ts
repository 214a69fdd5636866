import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MetricsController } from '../common/metrics/metrics.controller';
import { HealthController } from './health.controller';

/** Health and metrics: the only routes a worker-only process serves. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
})
export class HealthModule {}
