import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM does not model triggers. `ticket_counts` follows every insert, delete
 * and change of status, queue or assignee of a ticket, in the same transaction, so the counts an
 * agent's sidebar shows cost a few rows per company rather than a scan of its tickets.
 */
export class TicketCountTriggers1795820800000 implements MigrationInterface {
    name = 'TicketCountTriggers1795820800000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION ticket_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE ticket_counts SET n = n - 1
                WHERE company_id = OLD.company_id AND queue_id = OLD.queue_id
                  AND assignee_key = COALESCE(OLD.assignee_id, '00000000-0000-0000-0000-000000000000') AND status = OLD.status;
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO ticket_counts (company_id, queue_id, assignee_key, status, n)
                VALUES (NEW.company_id, NEW.queue_id, COALESCE(NEW.assignee_id, '00000000-0000-0000-0000-000000000000'), NEW.status, 1)
                ON CONFLICT (company_id, queue_id, assignee_key, status) DO UPDATE SET n = ticket_counts.n + 1;
              END IF;
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER ticket_counts_insert_delete AFTER INSERT OR DELETE ON tickets
            FOR EACH ROW EXECUTE FUNCTION ticket_counts_follow()
        `);
        await queryRunner.query(`
            CREATE TRIGGER ticket_counts_update AFTER UPDATE OF status, queue_id, assignee_id ON tickets
            FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.queue_id IS DISTINCT FROM NEW.queue_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
            EXECUTE FUNCTION ticket_counts_follow()
        `);
        await queryRunner.query(`
            INSERT INTO ticket_counts (company_id, queue_id, assignee_key, status, n)
            SELECT company_id, queue_id, COALESCE(assignee_id, '00000000-0000-0000-0000-000000000000'), status, count(*) FROM tickets GROUP BY 1, 2, 3, 4
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER ticket_counts_update ON tickets`);
        await queryRunner.query(`DROP TRIGGER ticket_counts_insert_delete ON tickets`);
        await queryRunner.query(`DROP FUNCTION ticket_counts_follow()`);
        await queryRunner.query(`DELETE FROM ticket_counts`);
    }
}
