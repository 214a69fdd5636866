import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM does not model expression indexes. Message texts are searched by full
 * text in the `simple` configuration (no stemming: customers write in many languages), each word
 * as a prefix; the entity names this index with synchronize: false so generation leaves it alone.
 */
export class MessageSearch1795818900000 implements MigrationInterface {
    name = 'MessageSearch1795818900000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "IDX_messages_text_fts" ON "messages" USING gin (to_tsvector('simple', coalesce("text", '')))
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_messages_text_fts"
        `);
    }
}
