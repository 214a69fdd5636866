import { SetMetadata } from '@nestjs/common';
import { type JobName } from './job.catalogue';

export const ON_JOB_METADATA = 'guichet:on-job';

/** Marks a service method as the handler of one job; the worker finds it at boot. */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(ON_JOB_METADATA, name);
