import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1795787338677 implements MigrationInterface {
    name = 'Foundation1795787338677'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "companies" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "name" character varying(200) NOT NULL,
                "time_zone" character varying(64) NOT NULL DEFAULT 'UTC',
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_d4bc3e82a314fa9e29f652c2c22" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."agent_role" AS ENUM('admin', 'agent')
        `);
        await queryRunner.query(`
            CREATE TABLE "agents" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "email" character varying(254) NOT NULL,
                "name" character varying(200) NOT NULL,
                "role" "public"."agent_role" NOT NULL,
                "password_hash" character varying(255) NOT NULL,
                "deactivated_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_9c653f28ae19c5884d5baf6a1d9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_5fdef501c63984b1b98abb1e68" ON "agents" ("email")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_3640acf2fd76ed5c483b729382" ON "agents" ("company_id", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "company_id" uuid NOT NULL,
                "name" character varying(100) NOT NULL,
                "prefix" character varying(16) NOT NULL,
                "key_hash" character(64) NOT NULL,
                "scopes" text array NOT NULL,
                "created_by_agent_id" uuid,
                "last_used_at" TIMESTAMP(3) WITH TIME ZONE,
                "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_57384430aa1959f4578046c9b8" ON "api_keys" ("key_hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_54c87edd65b7a22047bc17bbed" ON "api_keys" ("company_id", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."idempotency_state" AS ENUM('in_progress', 'completed')
        `);
        await queryRunner.query(`
            CREATE TABLE "idempotency_keys" (
                "company_id" uuid NOT NULL,
                "key" character varying(255) NOT NULL,
                "fingerprint" character(64) NOT NULL,
                "state" "public"."idempotency_state" NOT NULL,
                "response_status" smallint,
                "response_body" jsonb,
                "locked_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_7a26d3174efb4d4e54d5fa7824b" PRIMARY KEY ("company_id", "key")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_e5fc0731b6752a8e9194fa265e" ON "idempotency_keys" ("expires_at")
        `);
        await queryRunner.query(`
            ALTER TABLE "agents"
            ADD CONSTRAINT "FK_4e7bc8866f91a084697957af011" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD CONSTRAINT "FK_8396859f08e7ad26726c9b3860e" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "api_keys" DROP CONSTRAINT "FK_8396859f08e7ad26726c9b3860e"
        `);
        await queryRunner.query(`
            ALTER TABLE "agents" DROP CONSTRAINT "FK_4e7bc8866f91a084697957af011"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_e5fc0731b6752a8e9194fa265e"
        `);
        await queryRunner.query(`
            DROP TABLE "idempotency_keys"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."idempotency_state"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_54c87edd65b7a22047bc17bbed"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_57384430aa1959f4578046c9b8"
        `);
        await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_3640acf2fd76ed5c483b729382"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_5fdef501c63984b1b98abb1e68"
        `);
        await queryRunner.query(`
            DROP TABLE "agents"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."agent_role"
        `);
        await queryRunner.query(`
            DROP TABLE "companies"
        `);
    }

}
