import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DiscoveredHandler, resolveHandlers } from './job-handlers';
import { JOB_QUEUE, JobName, QueueName, RECURRING_JOBS } from './job.catalogue';

const ALL_JOBS = Object.values(JobName);

const handler = (name: JobName, owner = `${name}-owner`): DiscoveredHandler => ({
  name,
  owner,
  run: () => Promise.resolve('done'),
});

const oneEach = (): DiscoveredHandler[] => ALL_JOBS.map((name) => handler(name));

function failure(found: DiscoveredHandler[]): string {
  let caught: unknown;
  try {
    resolveHandlers(found);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, 'resolveHandlers should have thrown');
  assert.match(caught.message, /^Job handler check failed: /);
  return caught.message;
}

describe('resolveHandlers', () => {
  it('the catalogue has at least one job', () => {
    assert.ok(ALL_JOBS.length > 0);
  });

  it('accepts exactly one handler per job and maps each job to its handler', async () => {
    const found = oneEach();
    const resolved = resolveHandlers(found);
    assert.equal(resolved.size, ALL_JOBS.length);
    for (const [index, name] of ALL_JOBS.entries()) assert.equal(resolved.get(name), found[index], name);
    assert.equal(await resolved.get(ALL_JOBS[0])?.run({}), 'done');
  });

  it('does not depend on the order handlers are found in', () => {
    const found = oneEach().reverse();
    assert.equal(resolveHandlers(found).size, ALL_JOBS.length);
  });

  for (const name of ALL_JOBS) {
    it(`throws naming "${name}" when it has no handler`, () => {
      const message = failure(oneEach().filter((h) => h.name !== name));
      assert.ok(message.includes(`job "${name}" has no handler`), message);
    });

    it(`throws naming "${name}" and both owners when it has two handlers`, () => {
      const message = failure([...oneEach().filter((h) => h.name !== name), handler(name, 'FirstService'), handler(name, 'SecondService')]);
      assert.ok(message.includes(`job "${name}" has 2 handlers`), message);
      assert.ok(message.includes('FirstService'), message);
      assert.ok(message.includes('SecondService'), message);
    });
  }

  it('throws naming the job and its owner when a handler names an unknown job', () => {
    const message = failure([...oneEach(), handler('no-such-job' as JobName, 'StrayService')]);
    assert.ok(message.includes('"no-such-job"'), message);
    assert.ok(message.includes('StrayService'), message);
  });

  it('throws when nothing is registered at all', () => {
    const message = failure([]);
    for (const name of ALL_JOBS) assert.ok(message.includes(`"${name}"`), message);
  });
});

describe('job catalogue', () => {
  it('every job has a queue', () => {
    const queues = Object.values(QueueName) as string[];
    for (const name of ALL_JOBS) {
      assert.ok(Object.hasOwn(JOB_QUEUE, name), `${name} has no queue`);
      assert.ok(queues.includes(JOB_QUEUE[name]), `${name} is on unknown queue ${JOB_QUEUE[name]}`);
    }
    assert.deepEqual(Object.keys(JOB_QUEUE).sort(), [...ALL_JOBS].sort(), 'JOB_QUEUE names no unknown job');
  });

  it('every recurring job names a job of the catalogue, once, with a positive interval', () => {
    for (const job of RECURRING_JOBS) {
      assert.ok((ALL_JOBS as string[]).includes(job.name), `recurring job ${job.name} is not in JobName`);
      assert.ok(Number.isSafeInteger(job.everyMs) && job.everyMs > 0, `${job.name} everyMs=${job.everyMs}`);
    }
    const names = RECURRING_JOBS.map((job) => job.name);
    assert.equal(new Set(names).size, names.length, 'no job is scheduled twice');
  });
});
