import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AssignmentRepository } from './assignment.repository';
import { AssignmentService } from './assignment.service';
import { QueueMember } from './queue-member.entity';
import { QueueMembersRepository } from './queue-members.repository';
import { QueueMembersService } from './queue-members.service';

/** Queue membership and auto-assignment; the features whose changes may free a ticket call it. */
@Module({
  imports: [TypeOrmModule.forFeature([QueueMember])],
  providers: [AssignmentRepository, AssignmentService, QueueMembersRepository, QueueMembersService],
  exports: [AssignmentService, QueueMembersService],
})
export class AssignmentModule {}
