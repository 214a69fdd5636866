import { MigrationInterface, QueryRunner } from "typeorm";

export class Delivery1795797186023 implements MigrationInterface {
    name = 'Delivery1795797186023'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."delivery_lane" AS ENUM('agent_reply', 'transactional', 'promotion')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."delivery_purpose" AS ENUM(
                'human_agent_reply',
                'automated_reply',
                'transactional',
                'promotion'
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."delivery_state" AS ENUM(
                'queued',
                'sending',
                'sent',
                'delivered',
                'read',
                'failed',
                'skipped',
                'unknown'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "deliveries" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "seq" BIGSERIAL NOT NULL,
                "channel_id" uuid NOT NULL,
                "page_id" character varying(64) NOT NULL,
                "contact_id" uuid NOT NULL,
                "psid" character varying(64) NOT NULL,
                "ticket_id" uuid,
                "message_id" uuid,
                "part" smallint NOT NULL DEFAULT '0',
                "lane" "public"."delivery_lane" NOT NULL,
                "purpose" "public"."delivery_purpose" NOT NULL,
                "state" "public"."delivery_state" NOT NULL DEFAULT 'queued',
                "payload" jsonb NOT NULL,
                "media" boolean NOT NULL DEFAULT false,
                "utility_template" character varying(100),
                "decision" jsonb NOT NULL,
                "send_decision" jsonb,
                "messaging_type" character varying(20),
                "tag" character varying(40),
                "attempts" integer NOT NULL DEFAULT '0',
                "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "lease_until" TIMESTAMP(3) WITH TIME ZONE,
                "mid" character varying(200),
                "sent_at" TIMESTAMP(3) WITH TIME ZONE,
                "delivered_at" TIMESTAMP(3) WITH TIME ZONE,
                "read_at" TIMESTAMP(3) WITH TIME ZONE,
                "error_code" integer,
                "error_subcode" integer,
                "error_reason" character varying(500),
                "refusal_code" character varying(40),
                "unknown_at" TIMESTAMP(3) WITH TIME ZONE,
                "resends" smallint NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a6ef225c5c5f0974e503bfb731f" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_5d149110d60043c5438ebe4bb5" ON "deliveries" ("page_id", "mid")
            WHERE mid IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_60ce3a2f39adf2f5020d002f50" ON "deliveries" ("contact_id", "sent_at")
            WHERE state IN ('sent', 'delivered')
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_a9abac897809507b0d50be2e90" ON "deliveries" ("unknown_at")
            WHERE state = 'unknown'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_3b3f6c8639b052416eca220370" ON "deliveries" ("lease_until")
            WHERE state = 'sending'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_2f9a558a592b4b5cb3a6457d04" ON "deliveries" ("contact_id", "lane", "seq")
            WHERE state IN ('queued', 'sending')
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_50f509177511bf52c1324c46ae" ON "deliveries" ("channel_id", "lane", "seq")
            WHERE state = 'queued'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_19ad1003a453736973ea6c728e" ON "deliveries" ("message_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_caba30552b3f16b9f651713d90" ON "deliveries" ("company_id", "state", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_d58b6829200cce2930a5050a75" ON "deliveries" ("company_id", "created_at", "id")
        `);
        await queryRunner.query(`
            ALTER TABLE "channels"
            ADD "send_paused_until" TIMESTAMP(3) WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "messages"
            ADD "author_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "deliveries"
            ADD CONSTRAINT "FK_b34ed58a2acbcb7254dad0b8779" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "deliveries" DROP CONSTRAINT "FK_b34ed58a2acbcb7254dad0b8779"
        `);
        await queryRunner.query(`
            ALTER TABLE "messages" DROP COLUMN "author_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "channels" DROP COLUMN "send_paused_until"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_d58b6829200cce2930a5050a75"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_caba30552b3f16b9f651713d90"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_19ad1003a453736973ea6c728e"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_50f509177511bf52c1324c46ae"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_2f9a558a592b4b5cb3a6457d04"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_3b3f6c8639b052416eca220370"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_a9abac897809507b0d50be2e90"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_60ce3a2f39adf2f5020d002f50"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_5d149110d60043c5438ebe4bb5"
        `);
        await queryRunner.query(`
            DROP TABLE "deliveries"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."delivery_state"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."delivery_purpose"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."delivery_lane"
        `);
    }

}
