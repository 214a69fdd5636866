import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEnum, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../common/auth/password';
import { AgentRole } from '../common/auth/principal';
import { Email, Optional, Text } from '../common/validation/decorators';
import { type Agent } from './agent.entity';

export class AgentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: AgentRole, enumName: 'AgentRole' })
  role!: AgentRole;

  @ApiProperty({ description: 'False once an admin deactivated the agent; their tokens stop working' })
  active!: boolean;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty()
  updatedAt!: Date;
}

export class CreateAgentDto {
  @Email()
  email!: string;

  @Text({ max: 200 })
  name!: string;

  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password!: string;

  @ApiProperty({ enum: AgentRole, enumName: 'AgentRole' })
  @IsEnum(AgentRole)
  role!: AgentRole;
}

export class UpdateAgentDto {
  @Text({ max: 200, optional: true })
  name?: string;

  @ApiPropertyOptional({ enum: AgentRole, enumName: 'AgentRole' })
  @Optional()
  @IsEnum(AgentRole)
  role?: AgentRole;

  @ApiPropertyOptional({ description: 'false deactivates the agent at once; true reactivates' })
  @Optional()
  @IsBoolean()
  active?: boolean;
}

export const mapAgent = (agent: Agent): AgentDto => ({
  id: agent.id,
  email: agent.email,
  name: agent.name,
  role: agent.role,
  active: agent.deactivatedAt === null,
  createdAt: agent.createdAt,
  updatedAt: agent.updatedAt,
});
