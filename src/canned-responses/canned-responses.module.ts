import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CannedResponse } from './canned-response.entity';
import { CannedResponseRepository } from './canned-response.repository';
import { CannedResponsesService } from './canned-responses.service';

/** Replies agents reuse, with placeholders. */
@Module({
  imports: [TypeOrmModule.forFeature([CannedResponse])],
  providers: [CannedResponseRepository, CannedResponsesService],
  exports: [CannedResponsesService],
})
export class CannedResponsesModule {}
