import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SlaPolicy } from './sla-policy.entity';
import { SlaRepository } from './sla.repository';
import { SlaService } from './sla.service';

/** SLA policies, business hours and the tickets' reply clocks. */
@Module({
  imports: [TypeOrmModule.forFeature([SlaPolicy])],
  providers: [SlaRepository, SlaService],
  exports: [SlaService],
})
export class SlaModule {}
