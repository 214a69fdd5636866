import { MigrationInterface, QueryRunner } from "typeorm";

export class InboundHardening1795792021629 implements MigrationInterface {
    name = 'InboundHardening1795792021629'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_8ee8f02705a2376d084bbdca47"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_cb912678f1d80f7c29fc0d1c6c" ON "channels" ("page_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_f18f357a4ddadb786cce9c1eab" ON "inbound_events" ("received_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_4e7a878321b2c5f669030dfb8b" ON "tickets" ("queue_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_d1de91b7461516540fe2dbdb1e" ON "messages" ("contact_id", "sent_at")
            WHERE direction = 'outbound'
                AND read_at IS NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_0a323bd30da259f172c2128d20" ON "messages" ("contact_id", "sent_at")
            WHERE direction = 'outbound'
                AND delivered_at IS NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_1c4e25587c4a84b77b31e9c4b3" ON "messages" ("company_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_ff7a04ba3a0ab032d5b8913635" ON "message_mutations" ("created_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ff7a04ba3a0ab032d5b8913635"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_1c4e25587c4a84b77b31e9c4b3"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_0a323bd30da259f172c2128d20"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_d1de91b7461516540fe2dbdb1e"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4e7a878321b2c5f669030dfb8b"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_f18f357a4ddadb786cce9c1eab"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_cb912678f1d80f7c29fc0d1c6c"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_8ee8f02705a2376d084bbdca47" ON "messages" USING btree ("contact_id", "direction", "sent_at")
        `);
    }

}
