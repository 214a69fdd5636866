import { MigrationInterface, QueryRunner } from "typeorm";

export class DeliveryLease1795800496720 implements MigrationInterface {
    name = 'DeliveryLease1795800496720'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "deliveries"
            ADD "lease_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries"
            ADD "dispatched_at" TIMESTAMP(3) WITH TIME ZONE
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "deliveries" DROP COLUMN "dispatched_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries" DROP COLUMN "lease_id"
        `);
    }

}
