import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, Validate, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';
import { Optional, Text } from '../common/validation/decorators';
import { type Company } from './company.entity';

@ValidatorConstraint({ name: 'timeZone' })
class IsTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'timeZone must be an IANA time zone such as Europe/Paris';
  }
}

export class CompanyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ example: 'Europe/Paris' })
  timeZone!: string;

  @ApiProperty()
  createdAt!: Date;
}

export class UpdateCompanyDto {
  @Text({ max: 200, optional: true })
  name?: string;

  @ApiPropertyOptional({ example: 'Europe/Paris' })
  @Optional()
  @IsString()
  @MaxLength(64)
  @Validate(IsTimeZone)
  timeZone?: string;
}

export const mapCompany = (company: Company): CompanyDto => ({
  id: company.id,
  name: company.name,
  timeZone: company.timeZone,
  createdAt: company.createdAt,
});
