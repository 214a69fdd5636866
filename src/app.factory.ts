import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { type Logger } from 'pino';
import { mountQueueDashboard } from './admin/queue-dashboard';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { configureFastify, fastifyOptions } from './common/http/fastify-setup';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { MetricsService } from './common/metrics/metrics.service';
import { createValidationPipe } from './common/validation/validation';
import { AuthService } from './companies/auth.service';
import { type AppConfig, runsHttpApi } from './config/config';
import { JobsService } from './jobs/jobs.service';
import { buildOpenApiDocument } from './openapi/openapi';

export interface CreateAppOptions {
  logger?: Logger;
}

/** Builds a ready (initialised, not yet listening) application for the configured role. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const adapter = new FastifyAdapter({ ...fastifyOptions(config.http.trustProxy), loggerInstance: logger });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRole(config), adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  configureFastify(fastify);

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.observeHttp(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  if (runsHttpApi(config.role)) {
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
    await mountQueueDashboard(fastify, app.get(JobsService), app.get(AuthService), { companyId: config.operatorCompanyId, required: config.env === 'production' });
  }
  await app.init();
  return app;
}
