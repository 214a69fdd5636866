import { MigrationInterface, QueryRunner } from "typeorm";

export class TicketCounts1795820718037 implements MigrationInterface {
    name = 'TicketCounts1795820718037'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "ticket_counts" (
                "company_id" uuid NOT NULL,
                "queue_id" uuid NOT NULL,
                "assignee_key" uuid NOT NULL,
                "status" "public"."ticket_status" NOT NULL,
                "n" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "PK_a95a96d127a0e85ec91fb53fc1a" PRIMARY KEY (
                    "company_id",
                    "queue_id",
                    "assignee_key",
                    "status"
                )
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "ticket_counts"
            ADD CONSTRAINT "FK_6265ef1a88c58628792c8a787ef" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "ticket_counts" DROP CONSTRAINT "FK_6265ef1a88c58628792c8a787ef"
        `);
        await queryRunner.query(`
            DROP TABLE "ticket_counts"
        `);
    }

}
