import { OutboundMessageDto } from '../delivery/message-content.dto';

/** An agent's answer on a ticket: text, attachments by URL, quick replies, or a template. */
export class ReplyDto extends OutboundMessageDto {}
