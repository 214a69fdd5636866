import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { issueAccessToken, type JwtSettings, verifyAccessToken } from '../common/auth/jwt';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../common/auth/password';
import { AgentRole, type Principal } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { isUniqueViolation } from '../database/pg-errors';
import { AgentRepository } from './agent.repository';
import { mapAgent } from './agents.dto';
import { ApiKeyRepository } from './api-key.repository';
import { API_KEY_PREFIX } from './api-keys.service';
import { type AccessTokenDto, type LoginDto, type SignupDto, type SignupResultDto } from './auth.dto';
import { mapCompany } from './company.dto';
import { CompanyRepository } from './company.repository';
import { LoginThrottleService } from './login-throttle.service';

const WRONG_CREDENTIALS = 'Email or password is incorrect';

@Injectable()
export class AuthService {
  private readonly jwt: JwtSettings;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly companies: CompanyRepository,
    private readonly agents: AgentRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly throttle: LoginThrottleService,
  ) {
    this.jwt = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience, ttlSeconds: config.auth.jwtTtlSeconds };
  }

  async signup(dto: SignupDto, ip: string): Promise<SignupResultDto> {
    await this.throttle.signup(ip);
    const passwordHash = await hashPassword(dto.password);
    try {
      const { company, agent } = await this.companies.createWithAdmin(dto.companyName, { email: dto.email, name: dto.name, role: AgentRole.Admin, passwordHash });
      return { company: mapCompany(company), agent: mapAgent(agent), ...this.token(agent.id, company.id) };
    } catch (error) {
      if (isUniqueViolation(error)) throw AppException.conflict('An agent with this email already exists', ErrorCode.EmailTaken);
      throw error;
    }
  }

  /** Same message and the same scrypt work whether the email is unknown, inactive or the password wrong. */
  async login(dto: LoginDto, ip: string): Promise<AccessTokenDto> {
    await this.throttle.attempt(dto.email, ip);
    const agent = await this.agents.findForLogin(dto.email);
    const valid = await verifyPassword(dto.password, agent?.passwordHash ?? (await dummyPasswordHash()));
    if (!agent || !valid || agent.deactivatedAt !== null) {
      throw new AppException(HttpStatus.UNAUTHORIZED, ErrorCode.InvalidCredentials, WRONG_CREDENTIALS);
    }
    await this.throttle.succeeded(dto.email, ip);
    return this.token(agent.id, agent.companyId);
  }

  /** Resolves a bearer credential to a principal, re-reading the agent or key on every request. */
  async authenticate(bearer: string): Promise<Principal | null> {
    if (bearer.startsWith(API_KEY_PREFIX)) {
      const key = await this.apiKeys.findActiveByHash(createHash('sha256').update(bearer).digest('hex'));
      if (!key) return null;
      await this.apiKeys.touchLastUsed(key.companyId, key.id);
      return { kind: 'api_key', companyId: key.companyId, apiKeyId: key.id, scopes: key.scopes };
    }
    const claims = verifyAccessToken(this.jwt, bearer);
    if (!claims) return null;
    const agent = await this.agents.findActive(claims.cid, claims.sub);
    if (!agent) return null;
    return { kind: 'agent', companyId: agent.companyId, agentId: agent.id, role: agent.role };
  }

  private token(agentId: string, companyId: string): AccessTokenDto {
    const { token, expiresIn } = issueAccessToken(this.jwt, agentId, companyId);
    return { accessToken: token, expiresIn };
  }
}
