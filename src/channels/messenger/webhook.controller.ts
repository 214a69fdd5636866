import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';
import { type AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { Public } from '../../common/auth/auth.decorators';
import { AppException } from '../../common/errors/app.exception';
import { type IngestResult, InboundService } from './inbound.service';
import { assertDepth } from '../../common/http/json-body';
import { verifyMetaSignature } from './webhook-signature';

/** Far deeper than any Meta payload, far shallower than what would exhaust the stack. */
const WEBHOOK_MAX_DEPTH = 256;

/** Meta's side door: no bearer auth, the app secret's signature instead. */
@ApiExcludeController()
@Public()
@Controller('webhooks/messenger')
export class WebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbound: InboundService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  verify(@Req() request: FastifyRequest): string {
    const query = request.query as Record<string, unknown>;
    const token = typeof query['hub.verify_token'] === 'string' ? query['hub.verify_token'] : '';
    const challenge = query['hub.challenge'];
    const expected = Buffer.from(this.config.messenger.verifyToken);
    const given = Buffer.from(token);
    const matches = given.length === expected.length && timingSafeEqual(given, expected);
    if (query['hub.mode'] !== 'subscribe' || !matches || typeof challenge !== 'string' || !/^[\w-]{1,200}$/.test(challenge)) {
      throw AppException.forbidden('Verification failed');
    }
    return challenge;
  }

  /** 401 before anything is parsed or stored when the signature is wrong; 5xx only if PostgreSQL failed. */
  @Post()
  @HttpCode(HttpStatus.OK)
  async receive(@Req() request: FastifyRequest): Promise<IngestResult> {
    const raw = request.rawBody ?? Buffer.alloc(0);
    if (!verifyMetaSignature(raw, request.headers['x-hub-signature-256'], this.config.messenger.appSecret)) {
      throw AppException.unauthorized('Invalid or missing X-Hub-Signature-256');
    }
    let body: unknown;
    try {
      const text = raw.toString('utf8');
      // Meta's payloads are a few levels deep; a very deep one is unusable, not a reason to crash.
      assertDepth(text, WEBHOOK_MAX_DEPTH);
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return this.inbound.ingest(body);
  }
}
