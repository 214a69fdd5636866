import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AgentRole } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { toErrorBody } from '../common/errors/error-body';
import { type AuthService } from '../companies/auth.service';
import { type JobsService } from '../jobs/jobs.service';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board, for admin agents only, and only the operator's (OPERATOR_COMPANY_ID) when set:
 * queues are shared by every company and can be paused or emptied from here, and signup is
 * open, so production refuses everyone until the operator is named. It is a Fastify plugin outside Nest's router, so it
 * gets its own check of the same bearer credentials, in its own encapsulated context.
 */
export async function mountQueueDashboard(fastify: FastifyInstance, jobs: JobsService, auth: AuthService, operator: { companyId?: string; required: boolean }): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: [...jobs.queues.values()].map((queue) => new BullMQAdapter(queue)), serverAdapter });

  const refuse = async (request: FastifyRequest): Promise<AppException | null> => {
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const principal = bearer ? await auth.authenticate(bearer) : null;
    if (!principal) return AppException.unauthorized();
    if (principal.kind !== 'agent' || principal.role !== AgentRole.Admin) return AppException.forbidden('Only admins can see the queues');
    if (!operator.companyId && operator.required) return AppException.forbidden('The queue dashboard needs OPERATOR_COMPANY_ID in production');
    if (operator.companyId && principal.companyId !== operator.companyId) return AppException.forbidden("Only the operator's admins can see the queues");
    return null;
  };

  await fastify.register(
    async (scope) => {
      // Answered here rather than thrown: bull-board's own error handler would turn a throw into a 500.
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const refusal = await refuse(request);
        if (refusal) {
          const { body } = toErrorBody(refusal);
          return reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
        }
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    },
  );
}
