import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addBusinessMinutes, type BusinessCalendar } from './business-hours';

// Monday to Friday, 09:00–12:30 and 13:30–18:00 in Paris; Christmas and Boxing Day off (both fall on a weekday in 2026).
const paris: BusinessCalendar = {
  timeZone: 'Europe/Paris',
  hours: [1, 2, 3, 4, 5].flatMap((day) => [
    { day, open: '09:00', close: '12:30' },
    { day, open: '13:30', close: '18:00' },
  ]),
  holidays: ['2026-12-25'],
};
const due = (start: string, minutes: number, calendar = paris) => addBusinessMinutes(new Date(start), minutes, calendar).toISOString();

describe('addBusinessMinutes', () => {
  it('counts inside opening hours, across the lunch break', () => {
    // Wednesday 2 December 2026, 11:00 in Paris (UTC+1): 90 minutes until lunch at 12:30, the other 30 from 13:30.
    assert.equal(due('2026-12-02T10:00:00Z', 120), '2026-12-02T13:00:00.000Z');
  });

  it('a message on Friday evening waits for Monday morning', () => {
    // Friday 4 December, 17:00 Paris: one hour left that day; two hours of target end Monday 10:00 Paris.
    assert.equal(due('2026-12-04T16:00:00Z', 120), '2026-12-07T09:00:00.000Z');
  });

  it('a message on Saturday starts the clock at Monday 09:00', () => {
    assert.equal(due('2026-12-05T10:00:00Z', 30), '2026-12-07T08:30:00.000Z');
  });

  it('skips a holiday and the weekend after it', () => {
    // Thursday 24 December 17:30 Paris: 30 minutes left that day, Friday 25 is a holiday, then the weekend: Monday 28 at 09:30.
    assert.equal(due('2026-12-24T16:30:00Z', 60), '2026-12-28T08:30:00.000Z');
  });

  it('follows daylight saving: 09:00 in Paris is 07:00 UTC in summer', () => {
    // Saturday 27 June 2026: next opening Monday 29 June 09:00 CEST.
    assert.equal(due('2026-06-27T12:00:00Z', 60), '2026-06-29T08:00:00.000Z');
    // Across the October change (Sunday 25 October 2026): Friday 23, 17:00 CEST, with 2 hours: 1 on Friday, 1 on Monday from 09:00 CET.
    assert.equal(due('2026-10-23T15:00:00Z', 120), '2026-10-26T09:00:00.000Z');
  });

  it('a target that ends exactly at closing time ends then, not the next morning', () => {
    assert.equal(due('2026-12-02T16:00:00Z', 60), '2026-12-02T17:00:00.000Z');
  });

  it('another zone, the same rule: 24-hour days in Tokyo skip only the weekend', () => {
    const tokyo: BusinessCalendar = { timeZone: 'Asia/Tokyo', hours: [1, 2, 3, 4, 5].map((day) => ({ day, open: '00:00', close: '24:00' })), holidays: [] };
    // Friday 4 December 23:00 Tokyo (14:00 UTC) plus 2 hours: 1 on Friday, 1 on Monday from 00:00 Tokyo.
    assert.equal(due('2026-12-04T14:00:00Z', 120, tokyo), '2026-12-06T16:00:00.000Z');
  });
});
