import { randomUUID } from 'node:crypto';
import { type Socket } from 'node:net';
import { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { toErrorBody } from '../errors/error-body';
import { ErrorCode } from '../errors/error-codes';
import { HttpStatus } from '@nestjs/common';
import { AppException } from '../errors/app.exception';
import { assertCleanStrings, parseJsonBody } from './json-body';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body, for signature checks (Meta signs the bytes, not the JSON). */
    rawBody?: Buffer;
  }
}

const unsupportedCharset = (): Error =>
  new AppException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.UnsupportedMediaType, 'JSON bodies must be UTF-8');

const draining = new WeakSet<FastifyInstance>();

/** From now on every response closes its connection, so the server can finish closing. */
export function startDraining(fastify: FastifyInstance): void {
  draining.add(fastify);
}

/** Routes that receive signed bodies: the controller verifies, then parses. */
const RAW_ROUTES = new Set(['/webhooks/messenger']);

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Meta batches up to 1,000 updates in one POST: more than an API body, and refusing it means endless retries. */
export const WEBHOOK_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Errors Fastify answers itself, before any route runs (a malformed URL, say), in the one error shape. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const { body } = toErrorBody(error);
  void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
}

/** Malformed HTTP (a bad Content-Length, say) never reaches Fastify's routing: answer on the socket. */
function clientErrorHandler(_error: Error, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: 400, code: ErrorCode.ValidationFailed, message: 'Malformed HTTP request' });
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Fastify options shared by every role. X-Request-Id is kept when well-formed, so a proxy's
 * or a client's id follows the request into our logs; it is only ever a label.
 */
export function fastifyOptions(trustProxy: boolean) {
  return {
    frameworkErrors,
    clientErrorHandler,
    bodyLimit: WEBHOOK_BODY_LIMIT_BYTES,
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
const routeTables = new WeakMap<FastifyInstance, string[]>();

/** Every route the server registered, Nest's and plain Fastify plugins' alike, as "METHOD /path". */
export function registeredRoutes(fastify: FastifyInstance): string[] {
  return [...(routeTables.get(fastify) ?? [])];
}

export function configureFastify(fastify: FastifyInstance): void {
  const table: string[] = [];
  routeTables.set(fastify, table);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') table.push(`${method} ${route.url}`);
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (request: FastifyRequest, body: Buffer, done) => {
    try {
      const charset = /;\s*charset=("?)([^";]+)\1/i.exec(request.headers['content-type'] ?? '')?.[2];
      if (charset && !/^utf-?8$/i.test(charset)) return done(unsupportedCharset(), undefined);
      request.rawBody = body;
      // Signed routes must check the signature over these bytes before anything parses them.
      if (RAW_ROUTES.has(request.routeOptions.url ?? '')) return done(null, undefined);
      if (body.length > BODY_LIMIT_BYTES) return done(new AppException(HttpStatus.PAYLOAD_TOO_LARGE, ErrorCode.PayloadTooLarge, 'Request body is larger than 1 MiB'), undefined);
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
