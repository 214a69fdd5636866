import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand (triggers). A merge moves a whole timeline into the target ticket without
 * changing any of the target's columns the feed watches, so agents looking at the target heard
 * nothing. Its `merged` timeline event now becomes `ticket.merged` on both tickets.
 */
export class LiveEventsMerge1795825400000 implements MigrationInterface {
    name = 'LiveEventsMerge1795825400000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER live_events_note_added ON ticket_events`);
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION live_events_notes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.kind = 'note' THEN
                PERFORM live_event(NEW.company_id, 'note.added', NEW.ticket_id, jsonb_build_object('ticketId', NEW.ticket_id, 'noteId', NEW.id));
              ELSE
                PERFORM live_event(NEW.company_id, 'ticket.merged', NEW.ticket_id, jsonb_build_object('ticketId', NEW.ticket_id) || NEW.data);
              END IF;
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_note_added AFTER INSERT ON ticket_events FOR EACH ROW
            WHEN (NEW.kind IN ('note', 'merged')) EXECUTE FUNCTION live_events_notes()
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER live_events_note_added ON ticket_events`);
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION live_events_notes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM live_event(NEW.company_id, 'note.added', NEW.ticket_id, jsonb_build_object('ticketId', NEW.ticket_id, 'noteId', NEW.id));
              RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER live_events_note_added AFTER INSERT ON ticket_events FOR EACH ROW
            WHEN (NEW.kind = 'note') EXECUTE FUNCTION live_events_notes()
        `);
    }
}
