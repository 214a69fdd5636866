import { type DefaultJobOptions, type JobsOptions } from 'bullmq';

/**
 * Every queue and every job of the service, in one place. A job is named once here, with
 * its queue and its payload type; handlers and producers are typed from this file.
 * Payloads carry ids only: never secrets or message bodies, which stay in PostgreSQL.
 */
export enum QueueName {
  Maintenance = 'maintenance',
  Inbound = 'inbound',
  Profiles = 'profiles',
  // One queue per lane, each with its own workers: a broadcast never waits in front of a person.
  DeliveryAgentReplies = 'delivery-agent-replies',
  DeliveryTransactional = 'delivery-transactional',
  DeliveryPromotions = 'delivery-promotions',
}

export enum JobName {
  PruneIdempotencyKeys = 'prune-idempotency-keys',
  ProcessConversation = 'process-conversation',
  FetchProfile = 'fetch-profile',
  PruneInboundEvents = 'prune-inbound-events',
  SendAgentReplies = 'send-agent-replies',
  SendTransactional = 'send-transactional',
  SendPromotions = 'send-promotions',
  PruneLiveEvents = 'prune-live-events',
}

export interface JobPayloads {
  [JobName.PruneIdempotencyKeys]: Record<string, never>;
  /** Applies a conversation's pending inbound events, in order. */
  [JobName.ProcessConversation]: { pageId: string; conversation: string };
  [JobName.FetchProfile]: { companyId: string; contactId: string };
  [JobName.PruneInboundEvents]: Record<string, never>;
  /** Serves one Page's lane for a time slice: the deliveries themselves are found in PostgreSQL. */
  [JobName.SendAgentReplies]: PageLane;
  [JobName.SendTransactional]: PageLane;
  [JobName.SendPromotions]: PageLane;
  [JobName.PruneLiveEvents]: Record<string, never>;
}

export interface PageLane {
  companyId: string;
  channelId: string;
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.PruneIdempotencyKeys]: QueueName.Maintenance,
  [JobName.ProcessConversation]: QueueName.Inbound,
  [JobName.FetchProfile]: QueueName.Profiles,
  [JobName.PruneInboundEvents]: QueueName.Maintenance,
  [JobName.SendAgentReplies]: QueueName.DeliveryAgentReplies,
  [JobName.SendTransactional]: QueueName.DeliveryTransactional,
  [JobName.SendPromotions]: QueueName.DeliveryPromotions,
  [JobName.PruneLiveEvents]: QueueName.Maintenance,
};

/** Queues whose jobs serve a whole Page: few at a time, each sending many messages in parallel. */
export const PAGE_QUEUES: ReadonlySet<QueueName> = new Set([QueueName.DeliveryAgentReplies, QueueName.DeliveryTransactional, QueueName.DeliveryPromotions]);

/** One job per Page and lane at a time, plus one follow-up: new deliveries never need more. */
function pageLaneOnce(prefix: string): (data: PageLane) => JobsOptions {
  return ({ channelId }) => ({ deduplication: { id: `${prefix}_${channelId}`, keepLastIfActive: true } });
}

/**
 * Per-job options derived from the payload. One process-conversation job runs at a time per
 * conversation, and events arriving meanwhile schedule exactly one follow-up
 * (keepLastIfActive), however many webhooks and sweeps ask for it.
 */
export const JOB_OPTIONS: { [N in JobName]?: (data: JobPayloads[N]) => JobsOptions } = {
  [JobName.ProcessConversation]: ({ pageId, conversation }) => ({ deduplication: { id: `conversation_${pageId}_${conversation}`, keepLastIfActive: true } }),
  // The sweeper asks again for every contact still pending: one job per contact at a time.
  [JobName.FetchProfile]: ({ contactId }) => ({ deduplication: { id: `profile_${contactId}` } }),
  [JobName.SendAgentReplies]: pageLaneOnce('send_agent'),
  [JobName.SendTransactional]: pageLaneOnce('send_transactional'),
  [JobName.SendPromotions]: pageLaneOnce('send_promotion'),
};

/** What a handler reports: `skipped` means the job was stale or had nothing to do. */
export type JobOutcome = 'done' | 'skipped';

export type JobData<N extends JobName> = JobPayloads[N];

/** Finite retries with jittered exponential backoff, and bounded retention so Redis stays small. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** Jobs the workers schedule for themselves; upserted at every worker boot, so they exist once. */
export const RECURRING_JOBS: ReadonlyArray<{ name: JobName; everyMs: number }> = [
  { name: JobName.PruneIdempotencyKeys, everyMs: 3_600_000 },
  { name: JobName.PruneInboundEvents, everyMs: 3_600_000 },
  { name: JobName.PruneLiveEvents, everyMs: 300_000 },
];
