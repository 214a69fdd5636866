import { randomUUID } from 'node:crypto';
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { assertCleanStrings, parseJsonBody } from './json-body';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body, for signature checks (Meta signs the bytes, not the JSON). */
    rawBody?: Buffer;
  }
}

const draining = new WeakSet<FastifyInstance>();

/** From now on every response closes its connection, so the server can finish closing. */
export function startDraining(fastify: FastifyInstance): void {
  draining.add(fastify);
}

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify options shared by every role: the request id is taken from a trusted caller or made. */
export function fastifyOptions(trustProxy: boolean) {
  return {
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy,
    requestIdHeader: false as const,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }): string => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  };
}

/**
 * Body parsing and request hygiene for every route, before Nest sees the request:
 * JSON only (anything else is 415), limits and poisoning checks in one place. Errors thrown
 * here reach Nest's error handler, hence the global filter and the one error shape.
 */
export function configureFastify(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (request: FastifyRequest, body: Buffer, done) => {
    try {
      request.rawBody = body;
      done(null, parseJsonBody(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  fastify.addHook('preHandler', (request, _reply, done) => {
    try {
      assertCleanStrings(request.query, '$query');
      assertCleanStrings(request.params, '$params');
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Keep-alive sockets would outlive the drain by Fastify's 72 s keep-alive timeout.
    if (draining.has(fastify)) void reply.header('connection', 'close');
  });
}
