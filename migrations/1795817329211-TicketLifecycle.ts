import { MigrationInterface, QueryRunner } from "typeorm";

export class TicketLifecycle1795817329211 implements MigrationInterface {
    name = 'TicketLifecycle1795817329211'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."ticket_event_kind" AS ENUM(
                'note',
                'status_changed',
                'priority_changed',
                'assignee_changed',
                'queue_changed',
                'tags_changed'
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."ticket_actor_kind" AS ENUM('agent', 'api_key', 'customer', 'system')
        `);
        await queryRunner.query(`
            CREATE TABLE "ticket_events" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "ticket_id" uuid NOT NULL,
                "kind" "public"."ticket_event_kind" NOT NULL,
                "actor_kind" "public"."ticket_actor_kind" NOT NULL,
                "actor_id" uuid,
                "text" text,
                "data" jsonb NOT NULL DEFAULT '{}',
                "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_d61d07653b492eca67f9bad8ec2" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_4c17e02b784053185540fe2258" ON "ticket_events" ("ticket_id", "at", "id")
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "assignee_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "tags" text array NOT NULL DEFAULT '{}'
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "closed_at" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_b99a5fa8174a57757d9559ef15" ON "tickets" ("solved_at")
            WHERE status = 'solved'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_dff6e2b44c9b5e177114588772" ON "tickets" ("assignee_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD CONSTRAINT "FK_dff6e2b44c9b5e177114588772f" FOREIGN KEY ("assignee_id") REFERENCES "agents"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "ticket_events"
            ADD CONSTRAINT "FK_d589a601a44c7fd5d4f7d221ef7" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "ticket_events"
            ADD CONSTRAINT "FK_9cf43c4478294faa98129c47c21" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "ticket_events" DROP CONSTRAINT "FK_9cf43c4478294faa98129c47c21"
        `);
        await queryRunner.query(`
            ALTER TABLE "ticket_events" DROP CONSTRAINT "FK_d589a601a44c7fd5d4f7d221ef7"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP CONSTRAINT "FK_dff6e2b44c9b5e177114588772f"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_dff6e2b44c9b5e177114588772"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_b99a5fa8174a57757d9559ef15"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "closed_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "tags"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "assignee_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4c17e02b784053185540fe2258"
        `);
        await queryRunner.query(`
            DROP TABLE "ticket_events"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."ticket_actor_kind"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."ticket_event_kind"
        `);
    }

}
