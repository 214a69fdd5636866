import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM models neither triggers nor the xid8 type. `live_events` is the feed
 * behind GET /v1/events. Triggers write it in the transaction that made the change, whichever
 * process that was, and notify the API processes when it commits.
 *
 * Events are read in (xid, id) order, and only from transactions older than the oldest one
 * still running. A serial id alone is not enough: a transaction that took a smaller id can
 * commit after a larger one was already read, and a reader that moved past it would never see
 * it. Behind that horizon the order cannot change any more, so a stream resumed from any event
 * misses nothing.
 */
export class LiveEvents1795825200000 implements MigrationInterface {
    name = 'LiveEvents1795825200000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "live_events" (
                "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "company_id" uuid NOT NULL REFERENCES "companies"("id") ON DELETE CASCADE,
                "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
                "type" varchar(40) NOT NULL,
                "ticket_id" uuid,
                "data" jsonb NOT NULL DEFAULT '{}',
                "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now()
            )
        `);
        await queryRunner.query(`CREATE INDEX "IDX_live_events_company_xid" ON "live_events" ("company_id", "xid", "id")`);
        await queryRunner.query(`CREATE INDEX "IDX_live_events_at" ON "live_events" ("at")`);
        await queryRunner.query(`
            CREATE FUNCTION live_event(company uuid, kind text, ticket uuid, payload jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO live_events (company_id, type, ticket_id, data) VALUES (company, kind, ticket, payload);
              -- Delivered at commit, once per company and transaction however many rows changed.
              PERFORM pg_notify('live_events', company::text);
            END $$
        `);
        await queryRunner.query(`
            CREATE FUNCTION live_events_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM live_event(NEW.company_id, CASE TG_OP WHEN 'INSERT' THEN 'ticket.created' ELSE 'ticket.updated' END, NEW.id,
                jsonb_build_object('ticketId', NEW.id, 'number', NEW.number, 'status', NEW.status, 'priority', NEW.priority,
                  'assigneeId', NEW.assignee_id, 'queueId', NEW.queue_id));
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_ticket_created AFTER INSERT ON tickets
            FOR EACH ROW EXECUTE FUNCTION live_events_tickets()
        `);
        // What an agent's list shows; not every touch (activity, clocks) of a busy ticket.
        await queryRunner.query(`
            CREATE TRIGGER live_events_ticket_updated AFTER UPDATE ON tickets FOR EACH ROW
            WHEN ((OLD.status, OLD.priority, OLD.assignee_id, OLD.queue_id, OLD.tags, OLD.sla_breached, OLD.merged_into_id)
              IS DISTINCT FROM (NEW.status, NEW.priority, NEW.assignee_id, NEW.queue_id, NEW.tags, NEW.sla_breached, NEW.merged_into_id))
            EXECUTE FUNCTION live_events_tickets()
        `);
        await queryRunner.query(`
            CREATE FUNCTION live_events_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM live_event(NEW.company_id, 'message.added', NEW.ticket_id,
                jsonb_build_object('ticketId', NEW.ticket_id, 'messageId', NEW.id, 'direction', NEW.direction));
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_message_added AFTER INSERT ON messages FOR EACH ROW
            WHEN (NEW.ticket_id IS NOT NULL) EXECUTE FUNCTION live_events_messages()
        `);
        await queryRunner.query(`
            CREATE FUNCTION live_events_notes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM live_event(NEW.company_id, 'note.added', NEW.ticket_id, jsonb_build_object('ticketId', NEW.ticket_id, 'noteId', NEW.id));
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_note_added AFTER INSERT ON ticket_events FOR EACH ROW
            WHEN (NEW.kind = 'note') EXECUTE FUNCTION live_events_notes()
        `);
        // Deliveries of a conversation only: a broadcast's promotions are not in any agent's view.
        await queryRunner.query(`
            CREATE FUNCTION live_events_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM live_event(NEW.company_id, 'delivery.updated', NEW.ticket_id,
                jsonb_build_object('ticketId', NEW.ticket_id, 'messageId', NEW.message_id, 'deliveryId', NEW.id, 'part', NEW.part, 'state', NEW.state));
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_delivery_updated AFTER UPDATE OF state ON deliveries FOR EACH ROW
            WHEN (NEW.ticket_id IS NOT NULL AND OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION live_events_deliveries()
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER live_events_delivery_updated ON deliveries`);
        await queryRunner.query(`DROP TRIGGER live_events_note_added ON ticket_events`);
        await queryRunner.query(`DROP TRIGGER live_events_message_added ON messages`);
        await queryRunner.query(`DROP TRIGGER live_events_ticket_updated ON tickets`);
        await queryRunner.query(`DROP TRIGGER live_events_ticket_created ON tickets`);
        await queryRunner.query(`DROP FUNCTION live_events_deliveries()`);
        await queryRunner.query(`DROP FUNCTION live_events_notes()`);
        await queryRunner.query(`DROP FUNCTION live_events_messages()`);
        await queryRunner.query(`DROP FUNCTION live_events_tickets()`);
        await queryRunner.query(`DROP FUNCTION live_event(uuid, text, uuid, jsonb)`);
        await queryRunner.query(`DROP TABLE "live_events"`);
    }
}
