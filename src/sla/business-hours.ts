/** Opening hours on one day of the week; `day` is ISO: 1 is Monday, 7 is Sunday. Times are local, "HH:MM", close may be "24:00". */
export interface OpeningHours {
  day: number;
  open: string;
  close: string;
}

/** When a company works: weekly hours in its time zone, and holidays (local dates, "YYYY-MM-DD") when it does not. */
export interface BusinessCalendar {
  timeZone: string;
  hours: OpeningHours[];
  holidays: string[];
}

/** A target more than ten years of business hours away is a misconfiguration; stop looking there. */
const MAX_DAYS = 3_660;
const MINUTE = 60_000;

/**
 * The instant `minutes` business minutes after `start`: the clock runs only inside opening
 * hours, skips holidays, and follows the zone's daylight-saving changes (a local 09:00 is 08:00
 * UTC in winter Paris and 07:00 in summer).
 */
export function addBusinessMinutes(start: Date, minutes: number, calendar: BusinessCalendar): Date {
  const holidays = new Set(calendar.holidays);
  let remaining = minutes * MINUTE;
  let day = localDate(start, calendar.timeZone);
  for (let i = 0; i < MAX_DAYS; i++, day = nextDay(day)) {
    if (holidays.has(isoDate(day))) continue;
    const weekday = ((new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay() + 6) % 7) + 1;
    const today = calendar.hours.filter((h) => h.day === weekday).sort((a, b) => a.open.localeCompare(b.open));
    for (const { open, close } of today) {
      const from = Math.max(start.getTime(), atLocal(day, open, calendar.timeZone));
      const until = atLocal(day, close, calendar.timeZone);
      if (from >= until) continue;
      if (remaining <= until - from) return new Date(from + remaining);
      remaining -= until - from;
    }
  }
  throw new RangeError('No business hours within ten years of the start');
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's wall clock at `at`, read as if it were UTC, minus `at`: the zone's offset then. */
function offsetAt(at: number, timeZone: string): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(at / 1000) * 1000;
}

function localDate(at: Date, timeZone: string): LocalDate {
  const local = new Date(at.getTime() + offsetAt(at.getTime(), timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The UTC instant of a local time on a local date; a time skipped by a daylight-saving jump lands just after it. */
function atLocal(date: LocalDate, time: string, timeZone: string): number {
  const [hours, mins] = time.split(':').map(Number);
  const wall = Date.UTC(date.year, date.month - 1, date.day, hours, mins);
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

function nextDay({ year, month, day }: LocalDate): LocalDate {
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

const isoDate = ({ year, month, day }: LocalDate): string => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
