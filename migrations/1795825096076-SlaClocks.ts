import { MigrationInterface, QueryRunner } from "typeorm";

export class SlaClocks1795825096076 implements MigrationInterface {
    name = 'SlaClocks1795825096076'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "sla_policies" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "targets" jsonb NOT NULL DEFAULT '[]',
                "hours" jsonb NOT NULL DEFAULT '[]',
                "holidays" text array NOT NULL DEFAULT '{}',
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_41b6803cef982534243a67b6302" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_e48ec97c146cc15eca989778d2" ON "sla_policies" ("company_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "awaiting_reply_since" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "first_replied_at" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "reply_due_at" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "reply_target" character varying(16)
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "reply_breached" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "sla_breached" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."ticket_event_kind"
            ADD VALUE 'sla_breached'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_tickets_breach_due" ON "tickets" ("reply_due_at")
            WHERE reply_due_at IS NOT NULL
                AND NOT reply_breached
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_tickets_reply_due" ON "tickets" ("company_id", "reply_due_at", "id")
            WHERE reply_due_at IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_57838026aee2a7a4431be2694a" ON "tickets" ("company_id", "priority", "activity_at", "id")
        `);
        await queryRunner.query(`
            ALTER TABLE "sla_policies"
            ADD CONSTRAINT "FK_e48ec97c146cc15eca989778d2c" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "sla_policies" DROP CONSTRAINT "FK_e48ec97c146cc15eca989778d2c"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_57838026aee2a7a4431be2694a"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_tickets_reply_due"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_tickets_breach_due"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."ticket_event_kind_old" AS ENUM(
                'note',
                'status_changed',
                'priority_changed',
                'assignee_changed',
                'queue_changed',
                'tags_changed',
                'merged'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "ticket_events"
            ALTER COLUMN "kind" TYPE "public"."ticket_event_kind_old" USING "kind"::"text"::"public"."ticket_event_kind_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."ticket_event_kind"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."ticket_event_kind_old"
            RENAME TO "ticket_event_kind"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "sla_breached"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "reply_breached"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "reply_target"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "reply_due_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "first_replied_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "tickets" DROP COLUMN "awaiting_reply_since"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_e48ec97c146cc15eca989778d2"
        `);
        await queryRunner.query(`
            DROP TABLE "sla_policies"
        `);
    }

}
