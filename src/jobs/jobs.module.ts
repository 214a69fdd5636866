import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { type AppConfig, runsWorkers } from '../config/config';
import { MetricsService } from '../common/metrics/metrics.service';
import { JobsService } from './jobs.service';
import { JobsWorker } from './jobs.worker';
import { RedisService } from './redis.provider';

/** Queues in every role; consumers only where the role runs workers. */
@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const worker = runsWorkers(config.role);
    return {
      module: JobsModule,
      imports: worker ? [DiscoveryModule] : [],
      providers: [RedisService, JobsService, MetricsService, ...(worker ? [JobsWorker] : [])],
      exports: [RedisService, JobsService, MetricsService, ...(worker ? [JobsWorker] : [])],
    };
  }
}
