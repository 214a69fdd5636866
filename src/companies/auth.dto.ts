import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../common/auth/password';
import { Email, Text } from '../common/validation/decorators';
import { AgentDto } from './agents.dto';
import { CompanyDto } from './company.dto';

export class SignupDto {
  @Text({ max: 200 })
  companyName!: string;

  @Text({ max: 200 })
  name!: string;

  @Email()
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password!: string;
}

export class LoginDto {
  @Email()
  email!: string;

  @ApiProperty({ maxLength: PASSWORD_MAX })
  @IsString()
  @MaxLength(PASSWORD_MAX)
  password!: string;
}

export class AccessTokenDto {
  @ApiProperty({ description: 'A signed JWT (HS256); send it as `Authorization: Bearer <token>`' })
  accessToken!: string;

  @ApiProperty({ description: 'Seconds until the token expires' })
  expiresIn!: number;
}

export class SignupResultDto extends AccessTokenDto {
  @ApiProperty({ type: CompanyDto })
  company!: CompanyDto;

  @ApiProperty({ type: AgentDto })
  agent!: AgentDto;
}
