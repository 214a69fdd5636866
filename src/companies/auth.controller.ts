import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';
import { Public } from '../common/auth/auth.decorators';
import { AccessTokenDto, LoginDto, SignupDto, SignupResultDto } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('Authentication')
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('signup')
  @ApiCreatedResponse({ type: SignupResultDto, description: 'The company, its first admin and an access token' })
  @ApiConflictResponse({ description: 'email_taken' })
  @ApiTooManyRequestsResponse({ description: 'Too many signups from this address; see Retry-After' })
  signup(@Body() dto: SignupDto, @Req() request: FastifyRequest): Promise<SignupResultDto> {
    return this.auth.signup(dto, request.ip);
  }

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiUnauthorizedResponse({ description: 'invalid_credentials, whatever was wrong' })
  @ApiTooManyRequestsResponse({ description: 'Too many failures for this email or address; see Retry-After' })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AccessTokenDto> {
    return this.auth.login(dto, request.ip);
  }
}
