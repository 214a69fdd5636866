import { JobName } from './job.catalogue';

export interface DiscoveredHandler {
  name: JobName;
  owner: string;
  run: (data: unknown) => Promise<unknown>;
}

/** The boot check: every job in the catalogue has exactly one handler, or the worker does not start. */
export function resolveHandlers(found: DiscoveredHandler[]): Map<JobName, DiscoveredHandler> {
  const problems: string[] = [];
  const byName = new Map<JobName, DiscoveredHandler>();
  for (const name of Object.values(JobName)) {
    const handlers = found.filter((h) => h.name === name);
    if (handlers.length === 0) problems.push(`job "${name}" has no handler`);
    else if (handlers.length > 1) problems.push(`job "${name}" has ${handlers.length} handlers (${handlers.map((h) => h.owner).join(', ')})`);
    else byName.set(name, handlers[0]);
  }
  for (const handler of found) {
    if (!(Object.values(JobName) as string[]).includes(handler.name)) problems.push(`${handler.owner} handles unknown job "${String(handler.name)}"`);
  }
  if (problems.length > 0) throw new Error(`Job handler check failed: ${problems.join('; ')}`);
  return byName;
}
