import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { AgentsController } from './companies/agents.controller';
import { ApiKeysController } from './companies/api-keys.controller';
import { AuthController } from './companies/auth.controller';
import { CompaniesModule } from './companies/companies.module';
import { AuthGuard } from './companies/auth.guard';
import { CompanyController } from './companies/company.controller';

/** The public REST API, mounted under /v1. Later features add their controllers here. */
@Module({
  imports: [CompaniesModule, IdempotencyModule],
  controllers: [AuthController, CompanyController, AgentsController, ApiKeysController],
  providers: [{ provide: APP_GUARD, useExisting: AuthGuard }],
})
export class ApiModule {}
