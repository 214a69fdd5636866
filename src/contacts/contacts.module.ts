import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Consent } from './consent.entity';
import { ConsentRepository } from './consent.repository';
import { Contact } from './contact.entity';
import { ContactRepository } from './contact.repository';
import { ContactsService } from './contacts.service';

/** Customers, per Page, and what they consented to. */
@Module({
  imports: [TypeOrmModule.forFeature([Contact, Consent])],
  providers: [ContactRepository, ConsentRepository, ContactsService],
  exports: [ContactRepository, ConsentRepository, ContactsService],
})
export class ContactsModule {}
