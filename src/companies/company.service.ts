import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { type CompanyDto, mapCompany, type UpdateCompanyDto } from './company.dto';
import { CompanyRepository } from './company.repository';

@Injectable()
export class CompanyService {
  constructor(private readonly companies: CompanyRepository) {}

  async get(companyId: string): Promise<CompanyDto> {
    const company = await this.companies.findById(companyId);
    if (!company) throw AppException.notFound('Company');
    return mapCompany(company);
  }

  async update(companyId: string, dto: UpdateCompanyDto): Promise<CompanyDto> {
    const company = await this.companies.update(companyId, { ...(dto.name !== undefined && { name: dto.name }), ...(dto.timeZone !== undefined && { timeZone: dto.timeZone }) });
    if (!company) throw AppException.notFound('Company');
    return mapCompany(company);
  }
}
