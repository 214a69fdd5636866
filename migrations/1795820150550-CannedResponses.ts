import { MigrationInterface, QueryRunner } from "typeorm";

export class CannedResponses1795820150550 implements MigrationInterface {
    name = 'CannedResponses1795820150550'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "canned_responses" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "title" character varying(100) NOT NULL,
                "text" text NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_1df87c74d99c463b1c7fb30dc14" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_2146cf8c13f6abc2c6becce588" ON "canned_responses" ("company_id", "created_at", "id")
        `);
        await queryRunner.query(`
            ALTER TABLE "canned_responses"
            ADD CONSTRAINT "FK_ed987c2fedb24ddbd0fa23414a8" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "canned_responses" DROP CONSTRAINT "FK_ed987c2fedb24ddbd0fa23414a8"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_2146cf8c13f6abc2c6becce588"
        `);
        await queryRunner.query(`
            DROP TABLE "canned_responses"
        `);
    }

}
