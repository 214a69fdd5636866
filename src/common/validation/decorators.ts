import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';

interface TextOptions {
  max: number;
  optional?: boolean;
  description?: string;
}

/**
 * For body fields that may be left out. Unlike @IsOptional(), an explicit null is still
 * validated (and refused): null is not "leave unchanged", and NOT NULL columns would 500 on it.
 */
export const Optional = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined);

const trim = Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** A bounded, trimmed, non-empty string, documented in the OpenAPI document in the same breath. */
export const Text = ({ max, optional, description }: TextOptions): PropertyDecorator =>
  applyDecorators(
    optional ? ApiPropertyOptional({ maxLength: max, description }) : ApiProperty({ maxLength: max, description }),
    ...(optional ? [Optional()] : []),
    trim,
    IsString(),
    IsNotEmpty(),
    MaxLength(max),
  );

/** Emails are compared lower-cased everywhere, so they are stored that way. */
export const Email = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ format: 'email', maxLength: 254 }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value)),
    IsString(),
    MaxLength(254),
    IsEmail({ allow_display_name: false, require_tld: false }),
  );
