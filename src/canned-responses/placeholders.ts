/** What a canned response may say about the conversation it is sent in. */
export const PLACEHOLDERS = ['contact.firstName', 'contact.lastName', 'contact.name', 'agent.name', 'ticket.number'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders a text uses that Guichet does not know, so a typo is refused when saved, not sent to a customer. */
export function unknownPlaceholders(text: string): string[] {
  const known = new Set<string>(PLACEHOLDERS);
  return [...new Set([...text.matchAll(PATTERN)].map((match) => match[1]).filter((name) => !known.has(name)))];
}

/** Fills every placeholder; a value Guichet does not have (a contact without a first name) becomes its fallback. */
export function render(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PATTERN, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as Placeholder] : whole));
}
