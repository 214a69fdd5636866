import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_METADATA, type AuthenticatedRequest, type AuthRequirement, PUBLIC_METADATA } from '../common/auth/auth.decorators';
import { AgentRole, type Principal } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { AuthService } from './auth.service';

/** Global guard: @Public routes are open; @Authenticated ones need a credential that meets the requirement; others are refused. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_METADATA, targets)) return true;
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_METADATA, targets);
    // Deny by default: a route someone forgot to mark is closed, not open.
    if (!requirement) throw AppException.unauthorized();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const bearer = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer) throw AppException.unauthorized();
    const principal = await this.auth.authenticate(bearer);
    if (!principal) throw AppException.unauthorized('Invalid, expired or revoked credentials');
    assertAllowed(principal, requirement);
    request.principal = principal;
    return true;
  }
}

export function assertAllowed(principal: Principal, requirement: AuthRequirement): void {
  if (principal.kind === 'agent') {
    if (requirement.admin && principal.role !== AgentRole.Admin) throw AppException.forbidden('Only admins can do this');
    return;
  }
  if (requirement.admin || requirement.agentOnly || !requirement.scope) throw AppException.forbidden('API keys cannot use this route');
  if (!principal.scopes.includes(requirement.scope)) throw AppException.forbidden(`This API key lacks the ${requirement.scope} scope`);
}
