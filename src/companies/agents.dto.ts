import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEnum, IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../common/auth/password';
import { AgentRole } from '../common/auth/principal';
import { Email, Optional, Text } from '../common/validation/decorators';
import { type Agent, AgentAvailability, DEFAULT_CAPACITY } from './agent.entity';

export const MAX_CAPACITY = 1_000;

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

  @ApiProperty({ enum: AgentAvailability, enumName: 'AgentAvailability', description: 'Only online agents receive auto-assigned tickets' })
  availability!: AgentAvailability;

  @ApiProperty({ description: 'The most new or open tickets auto-assignment gives the agent' })
  capacity!: number;

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

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_CAPACITY, default: DEFAULT_CAPACITY, description: 'The most new or open tickets auto-assignment gives the agent; 0 takes them out of it' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_CAPACITY)
  capacity?: number;
}

/** What agents change about themselves. */
export class UpdateMeDto {
  @ApiProperty({ enum: AgentAvailability, enumName: 'AgentAvailability', description: 'online receives auto-assigned tickets; away and offline do not, and keep the tickets they have' })
  @IsEnum(AgentAvailability)
  availability!: AgentAvailability;
}

export const mapAgent = (agent: Agent): AgentDto => ({
  id: agent.id,
  email: agent.email,
  name: agent.name,
  role: agent.role,
  active: agent.deactivatedAt === null,
  availability: agent.availability,
  capacity: agent.capacity,
  createdAt: agent.createdAt,
  updatedAt: agent.updatedAt,
});
