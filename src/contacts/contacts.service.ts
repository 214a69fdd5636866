import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { mapPage, type Page } from '../common/pagination/page.dto';
import { ContactRepository } from './contact.repository';
import { type ContactDto, type ContactQueryDto, mapContact, type UpdateContactDto } from './contacts.dto';

@Injectable()
export class ContactsService {
  constructor(private readonly contacts: ContactRepository) {}

  async list(companyId: string, query: ContactQueryDto): Promise<Page<ContactDto>> {
    return mapPage(await this.contacts.list(companyId, query), mapContact);
  }

  async get(companyId: string, id: string): Promise<ContactDto> {
    const contact = await this.contacts.findById(companyId, id);
    if (!contact) throw AppException.notFound('Contact');
    return mapContact(contact);
  }

  async update(companyId: string, id: string, dto: UpdateContactDto): Promise<ContactDto> {
    const patch: Parameters<ContactRepository['update']>[2] = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.externalId !== undefined) patch.externalId = dto.externalId;
    if (dto.tags !== undefined) patch.tags = [...new Set(dto.tags)];
    const contact = await this.contacts.update(companyId, id, patch);
    if (!contact) throw AppException.notFound('Contact');
    return mapContact(contact);
  }
}
