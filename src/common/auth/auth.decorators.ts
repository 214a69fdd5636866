import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';
import { type Principal, type Scope } from './principal';

export const AUTH_METADATA = 'guichet:auth';

export interface AuthRequirement {
  /** Agents with the admin role only; API keys never pass. */
  admin?: boolean;
  /** Agents only (e.g. "me" routes); API keys never pass. */
  agentOnly?: boolean;
  /** The scope an API key needs. A route without one is closed to API keys. */
  scope?: Scope;
}

export const PUBLIC_METADATA = 'guichet:public';

/** Opens a route (or controller) to anyone. Routes carry either this or @Authenticated: the guard refuses the rest. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_METADATA, true);

/** Marks a route as authenticated, with what it requires. */
export const Authenticated = (requirement: AuthRequirement = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(AUTH_METADATA, requirement),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials' }),
    ApiForbiddenResponse({ description: 'Authenticated, but not allowed' }),
  );

export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a route without @Authenticated');
  return request.principal;
});
