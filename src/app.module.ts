import { type DynamicModule, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiModule } from './api.module';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { type AppConfig, runsHttpApi } from './config/config';
import { ConfigModule } from './config/config.module';
import { ChannelsModule } from './channels/channels.module';
import { DeliverySendingModule } from './delivery/delivery-sending.module';
import { MessengerWebhookModule } from './channels/messenger/webhook.module';
import { CompaniesModule } from './companies/companies.module';
import { dataSourceOptions } from './database/data-source';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LiveModule } from './live/live.module';

/**
 * One module graph for every role. Feature modules (services, repositories, job handlers)
 * load everywhere; the REST API only where the role serves it.
 */
@Module({})
export class AppModule {
  static forRole(config: AppConfig): DynamicModule {
    const api = runsHttpApi(config.role);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(config)),
        JobsModule.forRoot(config),
        HealthModule,
        CompaniesModule,
        IdempotencyModule,
        ChannelsModule,
        DeliverySendingModule,
        LiveModule,
        ...(api ? [ApiModule, RouterModule.register([{ path: 'v1', module: ApiModule }]), MessengerWebhookModule] : []),
      ],
    };
  }
}
