import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM does not model storage parameters. `deliveries` is a queue: every send
 * updates its row three times, and each claim walks the queued-rows index past the entries of
 * rows already sent until VACUUM removes them. The default trigger (20 % of the table dead) lets
 * a long broadcast leave hundreds of thousands behind; vacuum it after about 2 % instead.
 */
export class DeliveryAutovacuum1795810509085 implements MigrationInterface {
    name = 'DeliveryAutovacuum1795810509085'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "deliveries" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02)
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "deliveries" RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)
        `);
    }
}
