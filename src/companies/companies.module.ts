import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AssignmentModule } from '../assignment/assignment.module';
import { Agent } from './agent.entity';
import { AgentRepository } from './agent.repository';
import { AgentsService } from './agents.service';
import { ApiKey } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { Company } from './company.entity';
import { CompanyRepository } from './company.repository';
import { CompanyService } from './company.service';
import { LoginThrottleService } from './login-throttle.service';

/** Companies, their agents and API keys, and how a request proves which of them it is. */
@Module({
  imports: [TypeOrmModule.forFeature([Company, Agent, ApiKey]), AssignmentModule],
  providers: [CompanyRepository, AgentRepository, ApiKeyRepository, CompanyService, AgentsService, ApiKeysService, AuthService, LoginThrottleService, AuthGuard],
  exports: [CompanyService, AgentsService, ApiKeysService, AuthService, AuthGuard],
})
export class CompaniesModule {}
