import { MigrationInterface, QueryRunner } from "typeorm";

export class DeliveryLease1795803612233 implements MigrationInterface {
    name = 'DeliveryLease1795803612233'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_2f9a558a592b4b5cb3a6457d04"
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries"
            ADD "lease_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries"
            ADD "dispatched_at" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_d3b6a58a51c93abd4700d08b24" ON "deliveries" ("channel_id", "lane")
            WHERE state = 'sending'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_94a881c1f21bb921757a647a66" ON "deliveries" ("contact_id", "lane", "seq")
            WHERE state IN ('queued', 'sending', 'unknown')
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_94a881c1f21bb921757a647a66"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_d3b6a58a51c93abd4700d08b24"
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries" DROP COLUMN "dispatched_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries" DROP COLUMN "lease_id"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_2f9a558a592b4b5cb3a6457d04" ON "deliveries" USING btree ("contact_id", "lane", "seq")
            WHERE (
                    state = ANY (
                        ARRAY ['queued'::delivery_state, 'sending'::delivery_state]
                    )
                )
        `);
    }

}
