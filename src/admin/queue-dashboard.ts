import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { AgentRole } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { type AuthService } from '../companies/auth.service';
import { type JobsService } from '../jobs/jobs.service';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board, for admin agents only. It is a Fastify plugin outside Nest's router, so it
 * gets its own check of the same bearer credentials, in its own encapsulated context.
 */
export async function mountQueueDashboard(fastify: FastifyInstance, jobs: JobsService, auth: AuthService): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: [...jobs.queues.values()].map((queue) => new BullMQAdapter(queue)), serverAdapter });

  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest) => {
        const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
        const principal = bearer ? await auth.authenticate(bearer) : null;
        if (!principal) throw AppException.unauthorized();
        if (principal.kind !== 'agent' || principal.role !== AgentRole.Admin) throw AppException.forbidden('Only admins can see the queues');
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    },
  );
}
