import { MigrationInterface, QueryRunner } from "typeorm";

export class TicketMerge1795820564422 implements MigrationInterface {
    name = 'TicketMerge1795820564422'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "tickets"
            ADD "merged_into_id" uuid
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."ticket_event_kind"
            ADD VALUE 'merged'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."ticket_event_kind_old" AS ENUM(
                'note',
                'status_changed',
                'priority_changed',
                'assignee_changed',
                'queue_changed',
                'tags_changed'
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
            ALTER TABLE "tickets" DROP COLUMN "merged_into_id"
        `);
    }

}
