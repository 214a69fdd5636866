import { MigrationInterface, QueryRunner } from "typeorm";

export class ChannelFeatures1795793951074 implements MigrationInterface {
    name = 'ChannelFeatures1795793951074'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "channels"
            ADD "human_agent_enabled" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TABLE "channels"
            ADD "marketing_messages_enabled" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TABLE "channels"
            ADD "utility_templates" text array NOT NULL DEFAULT '{}'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "channels" DROP COLUMN "utility_templates"
        `);
        await queryRunner.query(`
            ALTER TABLE "channels" DROP COLUMN "marketing_messages_enabled"
        `);
        await queryRunner.query(`
            ALTER TABLE "channels" DROP COLUMN "human_agent_enabled"
        `);
    }

}
