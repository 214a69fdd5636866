import { MigrationInterface, QueryRunner } from "typeorm";

export class AutoAssignment1795824685375 implements MigrationInterface {
    name = 'AutoAssignment1795824685375'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "queue_members" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "queue_id" uuid NOT NULL,
                "agent_id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_7192e8c10171495b3e9e8441ded" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_76cee3d8b88ffd7c2b07b0ace2" ON "queue_members" ("agent_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_f22655ebb66773a1c81063cc4d" ON "queue_members" ("queue_id", "agent_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."agent_availability" AS ENUM('online', 'away', 'offline')
        `);
        await queryRunner.query(`
            ALTER TABLE "agents"
            ADD "availability" "public"."agent_availability" NOT NULL DEFAULT 'offline'
        `);
        await queryRunner.query(`
            ALTER TABLE "agents"
            ADD "capacity" integer NOT NULL DEFAULT '10'
        `);
        await queryRunner.query(`
            ALTER TABLE "agents"
            ADD "last_assigned_at" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "queues"
            ADD "auto_assign" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_tickets_workload" ON "tickets" ("assignee_id")
            WHERE status IN ('new', 'open')
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_tickets_waiting" ON "tickets" ("company_id", "created_at", "id")
            WHERE assignee_id IS NULL
                AND status IN ('new', 'open')
        `);
        await queryRunner.query(`
            ALTER TABLE "queue_members"
            ADD CONSTRAINT "FK_2ee5076a9267c4b0669668fa6db" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "queue_members"
            ADD CONSTRAINT "FK_91f537b8c015ef0576bb6b7c594" FOREIGN KEY ("queue_id") REFERENCES "queues"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "queue_members"
            ADD CONSTRAINT "FK_76cee3d8b88ffd7c2b07b0ace2a" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "queue_members" DROP CONSTRAINT "FK_76cee3d8b88ffd7c2b07b0ace2a"
        `);
        await queryRunner.query(`
            ALTER TABLE "queue_members" DROP CONSTRAINT "FK_91f537b8c015ef0576bb6b7c594"
        `);
        await queryRunner.query(`
            ALTER TABLE "queue_members" DROP CONSTRAINT "FK_2ee5076a9267c4b0669668fa6db"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_tickets_waiting"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_tickets_workload"
        `);
        await queryRunner.query(`
            ALTER TABLE "queues" DROP COLUMN "auto_assign"
        `);
        await queryRunner.query(`
            ALTER TABLE "agents" DROP COLUMN "last_assigned_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "agents" DROP COLUMN "capacity"
        `);
        await queryRunner.query(`
            ALTER TABLE "agents" DROP COLUMN "availability"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."agent_availability"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_f22655ebb66773a1c81063cc4d"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_76cee3d8b88ffd7c2b07b0ace2"
        `);
        await queryRunner.query(`
            DROP TABLE "queue_members"
        `);
    }

}
