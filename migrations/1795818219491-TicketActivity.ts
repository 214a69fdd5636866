import { MigrationInterface, QueryRunner } from "typeorm";

export class TicketActivity1795818219491 implements MigrationInterface {
    name = 'TicketActivity1795818219491'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "activity_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now()
        `);
        // Added by hand: existing tickets take their real place in the list, not the migration's time.
        await queryRunner.query(`
            UPDATE "tickets" SET "activity_at" = COALESCE("last_customer_message_at", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_a4b35a7dab50d22153d4c030ba" ON "tickets" ("company_id", "activity_at", "id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_a4b35a7dab50d22153d4c030ba"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "activity_at"
        `);
    }

}
