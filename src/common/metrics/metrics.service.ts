import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per application instance, so two apps in one test process never share series. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'guichet_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly jobs = new Counter({
    name: 'guichet_jobs_total',
    help: 'Job executions by queue, job name and outcome (done, skipped, error)',
    labelNames: ['queue', 'name', 'outcome'],
    registers: [this.registry],
  });

  private readonly webhookEvents = new Counter({
    name: 'guichet_webhook_events_total',
    help: 'Webhook events by outcome: stored, duplicate, or why they were skipped',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly inboundEvents = new Counter({
    name: 'guichet_inbound_events_total',
    help: 'Processed inbound events by kind and state (processed, ignored, failed)',
    labelNames: ['kind', 'state'],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'guichet_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'guichet_deliveries_total',
    help: 'Send API outcomes by lane, Page and outcome (sent, skipped, failed, retry, pause_page, hold_channel, unknown), with the Meta code or refusal',
    labelNames: ['lane', 'page', 'outcome', 'code'],
    registers: [this.registry],
  });

  readonly deliveryQueue = new Gauge({
    name: 'guichet_delivery_queue',
    help: 'Queued deliveries per lane and Page, read from PostgreSQL at scrape time',
    labelNames: ['lane', 'page'],
    registers: [this.registry],
  });

  private readonly collectors: Array<() => Promise<void>> = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'guichet_' });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  webhookEvent(outcome: string, count = 1): void {
    if (count > 0) this.webhookEvents.inc({ outcome }, count);
  }

  inboundEvent(kind: string, state: string): void {
    this.inboundEvents.inc({ kind, state });
  }

  delivery(lane: string, page: string, outcome: string, code = ''): void {
    this.deliveries.inc({ lane, page, outcome, code });
  }

  /** Gauges read from a store at scrape time register here; a failing one leaves its gauge stale. */
  addCollector(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async collect(): Promise<void> {
    await Promise.all(this.collectors.map((collect) => collect().catch(() => undefined)));
  }

  jobOutcome(queue: string, name: string, outcome: string): void {
    this.jobs.inc({ queue, name, outcome });
  }
}
