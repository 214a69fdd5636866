import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsEnum } from 'class-validator';
import { Scope } from '../common/auth/principal';
import { Text } from '../common/validation/decorators';
import { type ApiKey } from './api-key.entity';

export class CreateApiKeyDto {
  @Text({ max: 100 })
  name!: string;

  @ApiProperty({ enum: Scope, enumName: 'Scope', isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsEnum(Scope, { each: true })
  scopes!: Scope[];
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'The first characters of the key, to tell keys apart', example: 'gk_3fA9xQ' })
  prefix!: string;

  @ApiProperty({ enum: Scope, enumName: 'Scope', isArray: true })
  scopes!: Scope[];

  @ApiProperty({ type: Date, nullable: true })
  lastUsedAt!: Date | null;

  @ApiProperty()
  createdAt!: Date;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself, shown this once; only its SHA-256 hash is stored' })
  key!: string;
}

export const mapApiKey = (key: ApiKey): ApiKeyDto => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  lastUsedAt: key.lastUsedAt,
  createdAt: key.createdAt,
});
