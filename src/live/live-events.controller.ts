import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { LiveEventsService } from './live-events.service';
import { SseSink } from './sse-sink';

@ApiTags('Live updates')
@Controller('events')
export class LiveEventsController {
  constructor(private readonly live: LiveEventsService) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event: nothing in between is missed while it is kept (LIVE_EVENTS_RETENTION); older, the stream starts with `event: reset`' })
  @ApiOkResponse({
    description:
      "Server-Sent Events of the company's tickets as they commit, from any process: ticket.created, ticket.updated, ticket.merged, message.added, note.added, delivery.updated; `data` holds the ids (ticketId, messageId, deliveryId) and what changed. 400 invalid_cursor for a Last-Event-ID this stream never sent",
  })
  async stream(@CurrentPrincipal() principal: Principal, @Headers('last-event-id') lastEventId: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const sink = new SseSink(reply);
    const stop = await this.live.open(principal.companyId, lastEventId, sink);
    const end = () => {
      stop();
      sink.close();
    };
    // The response's close: the client went away, the stream was cut off, or the server shuts down.
    if (reply.raw.destroyed || reply.raw.writableEnded) end();
    else reply.raw.once('close', end);
  }
}
