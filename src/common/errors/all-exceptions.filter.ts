import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { toErrorBody } from './error-body';

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers } = toErrorBody(error);
    if (body.statusCode >= 500) this.logger.error({ err: error }, 'Unhandled error while serving a request');
    if (headers) void reply.headers(headers);
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
  }
}
