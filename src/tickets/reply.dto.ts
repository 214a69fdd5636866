import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { OutboundMessageDto } from '../delivery/message-content.dto';
import { Optional } from '../common/validation/decorators';

/** An agent's answer on a ticket: text, attachments by URL, quick replies, or a template; or a canned response, filled in. */
export class ReplyDto extends OutboundMessageDto {
  @ApiPropertyOptional({ format: 'uuid', description: "A canned response, its placeholders filled in for this ticket, in place of text (400 with both)" })
  @Optional()
  @IsUUID()
  cannedResponseId?: string;
}
