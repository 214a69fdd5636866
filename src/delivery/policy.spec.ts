import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, POLICY_RULES, Purpose, replyWindow, RETIRED_TAGS, type PolicyDecision, type PolicyInput, type RefusalCode } from './policy';

const NOW = new Date('2026-07-15T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TEMPLATE = 'guichet_shipping_update_fr';

// ---- The generated cases, in the test's own vocabulary -------------------------------------

type Age = '1h' | '23h' | '25h' | '6d' | '8d' | 'never';
type Utility = 'approved' | 'not_approved' | 'not_requested';
type ConsentKind = 'none' | 'opted_in_valid' | 'opted_in_expired' | 'opted_in_no_expiry' | 'opted_out' | 'stop_word';
type Status = PolicyInput['channel']['status'];

interface Case {
  purpose: Purpose;
  age: Age;
  status: Status;
  humanAgent: boolean;
  utility: Utility;
  marketing: boolean;
  consent: ConsentKind;
}

const PURPOSES = [Purpose.HumanAgentReply, Purpose.AutomatedReply, Purpose.Transactional, Purpose.Promotion];
const AGES: Age[] = ['1h', '23h', '25h', '6d', '8d', 'never'];
const STATUSES: Status[] = ['active', 'needs_reauth', 'restricted'];
const UTILITIES: Utility[] = ['approved', 'not_approved', 'not_requested'];
const CONSENTS: ConsentKind[] = ['none', 'opted_in_valid', 'opted_in_expired', 'opted_in_no_expiry', 'opted_out', 'stop_word'];

const AGE_MS: Record<Exclude<Age, 'never'>, number> = { '1h': HOUR, '23h': 23 * HOUR, '25h': 25 * HOUR, '6d': 6 * DAY, '8d': 8 * DAY };
const TOKEN_VALID_UNTIL = new Date('2026-12-31T00:00:00.000Z');

function allCases(): Case[] {
  const cases: Case[] = [];
  for (const purpose of PURPOSES)
    for (const age of AGES)
      for (const status of STATUSES)
        for (const humanAgent of [true, false])
          for (const utility of UTILITIES)
            for (const marketing of [true, false])
              for (const consent of CONSENTS) cases.push({ purpose, age, status, humanAgent, utility, marketing, consent });
  return cases;
}

function lastInteraction(age: Age): Date | null {
  return age === 'never' ? null : new Date(NOW.getTime() - AGE_MS[age]);
}

function toInput(c: Case): PolicyInput {
  const consent: PolicyInput['consent'] = {
    none: { marketing: 'none' as const, marketingTokenExpiresAt: null, optedOut: false },
    opted_in_valid: { marketing: 'opted_in' as const, marketingTokenExpiresAt: TOKEN_VALID_UNTIL, optedOut: false },
    opted_in_expired: { marketing: 'opted_in' as const, marketingTokenExpiresAt: new Date(NOW.getTime() - DAY), optedOut: false },
    opted_in_no_expiry: { marketing: 'opted_in' as const, marketingTokenExpiresAt: null, optedOut: false },
    opted_out: { marketing: 'opted_out' as const, marketingTokenExpiresAt: null, optedOut: true },
    // A stop word recorded after a marketing opt-in: the token is still unexpired.
    stop_word: { marketing: 'opted_in' as const, marketingTokenExpiresAt: TOKEN_VALID_UNTIL, optedOut: true },
  }[c.consent];
  return {
    purpose: c.purpose,
    now: NOW,
    lastInteractionAt: lastInteraction(c.age),
    channel: {
      status: c.status,
      humanAgentEnabled: c.humanAgent,
      utilityTemplates: c.utility === 'approved' ? ['guichet_delivered_fr', TEMPLATE] : ['guichet_delivered_fr'],
      marketingMessagesEnabled: c.marketing,
    },
    consent,
    ...(c.utility === 'not_requested' ? {} : { utilityTemplate: TEMPLATE }),
  };
}

// ---- The oracle: an ordered table, first matching row wins -----------------------------------

type Expected =
  | { mode: 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG' | 'UTILITY_TEMPLATE' | 'MARKETING_MESSAGE'; rule: string }
  | { refuse: RefusalCode; rule: string };

interface OracleRow {
  purpose?: Purpose[];
  age?: Age[];
  status?: Status[];
  humanAgent?: boolean;
  utility?: Utility[];
  marketing?: boolean;
  consent?: ConsentKind[];
  expect: Expected;
}

const REPLIES = [Purpose.HumanAgentReply, Purpose.AutomatedReply];
const BUSINESS_INITIATED = [Purpose.Transactional, Purpose.Promotion];
const IN_WINDOW: Age[] = ['1h', '23h'];
const HUMAN_AGENT_SPAN: Age[] = ['25h', '6d'];
const OUTSIDE: Age[] = ['25h', '6d', '8d'];

const ORACLE: OracleRow[] = [
  { purpose: [Purpose.Promotion], consent: ['opted_out', 'stop_word'], expect: { refuse: 'opted_out', rule: 'marketing_opt_out' } },
  { status: ['needs_reauth', 'restricted'], expect: { refuse: 'channel_unavailable', rule: 'channel_not_active' } },
  { purpose: REPLIES, age: IN_WINDOW, expect: { mode: 'RESPONSE', rule: 'standard_window_24h' } },
  { purpose: BUSINESS_INITIATED, age: IN_WINDOW, expect: { mode: 'UPDATE', rule: 'standard_window_24h' } },
  { purpose: [Purpose.HumanAgentReply], age: HUMAN_AGENT_SPAN, humanAgent: true, expect: { mode: 'MESSAGE_TAG', rule: 'human_agent_7d' } },
  { purpose: [Purpose.HumanAgentReply], age: HUMAN_AGENT_SPAN, humanAgent: false, expect: { refuse: 'outside_messaging_window', rule: 'human_agent_not_enabled' } },
  { purpose: [Purpose.HumanAgentReply], age: ['8d'], expect: { refuse: 'outside_messaging_window', rule: 'human_agent_7d_elapsed' } },
  { purpose: REPLIES, age: ['never'], expect: { refuse: 'never_contacted', rule: 'no_interaction' } },
  { purpose: [Purpose.AutomatedReply], age: OUTSIDE, expect: { refuse: 'outside_messaging_window', rule: 'automated_reply_window_only' } },
  { purpose: [Purpose.Transactional], utility: ['approved'], expect: { mode: 'UTILITY_TEMPLATE', rule: 'utility_template' } },
  { purpose: [Purpose.Transactional], utility: ['not_approved'], expect: { refuse: 'no_utility_template', rule: 'utility_template_not_approved' } },
  { purpose: [Purpose.Transactional], age: ['never'], expect: { refuse: 'never_contacted', rule: 'no_interaction' } },
  { purpose: [Purpose.Transactional], age: OUTSIDE, expect: { refuse: 'outside_messaging_window', rule: 'transactional_window_only' } },
  { purpose: [Purpose.Promotion], marketing: false, expect: { refuse: 'marketing_not_enabled', rule: 'marketing_messages_not_enabled' } },
  { purpose: [Purpose.Promotion], consent: ['opted_in_valid'], expect: { mode: 'MARKETING_MESSAGE', rule: 'marketing_opt_in_token' } },
  { purpose: [Purpose.Promotion], consent: ['none', 'opted_in_expired', 'opted_in_no_expiry'], expect: { refuse: 'no_marketing_consent', rule: 'marketing_opt_in_required' } },
];

function oracle(c: Case): Expected | undefined {
  const row = ORACLE.find(
    (r) =>
      (r.purpose === undefined || r.purpose.includes(c.purpose)) &&
      (r.age === undefined || r.age.includes(c.age)) &&
      (r.status === undefined || r.status.includes(c.status)) &&
      (r.humanAgent === undefined || r.humanAgent === c.humanAgent) &&
      (r.utility === undefined || r.utility.includes(c.utility)) &&
      (r.marketing === undefined || r.marketing === c.marketing) &&
      (r.consent === undefined || r.consent.includes(c.consent)),
  );
  return row?.expect;
}

function label(c: Case): string {
  return `${c.purpose} age=${c.age} status=${c.status} humanAgent=${c.humanAgent} utility=${c.utility} marketing=${c.marketing} consent=${c.consent}`;
}

/** The extra fields each mode must carry, computed from the case rather than from `decide`. */
function assertDecision(c: Case, decision: PolicyDecision, expected: Expected): void {
  const at = label(c);
  assert.equal(decision.rule, expected.rule, at);
  if ('refuse' in expected) {
    assert.equal(decision.allowed, false, at);
    if (decision.allowed) return;
    assert.equal(decision.code, expected.refuse, at);
    assert.ok(decision.reason.length > 0, at);
    assert.deepEqual(Object.keys(decision).sort(), ['allowed', 'code', 'reason', 'rule'], at);
    return;
  }
  assert.equal(decision.allowed, true, at);
  if (!decision.allowed) return;
  assert.equal(decision.mode, expected.mode, at);
  const last = lastInteraction(c.age);
  switch (decision.mode) {
    case 'RESPONSE':
    case 'UPDATE':
      assert.equal(decision.messagingType, decision.mode, at);
      assert.ok(last, at);
      assert.equal(decision.windowExpiresAt.getTime(), last.getTime() + DAY, at);
      assert.ok(!('tag' in decision), at);
      break;
    case 'MESSAGE_TAG':
      assert.equal(decision.messagingType, 'MESSAGE_TAG', at);
      assert.equal(decision.tag, 'HUMAN_AGENT', at);
      assert.ok(last, at);
      assert.equal(decision.windowExpiresAt.getTime(), last.getTime() + 7 * DAY, at);
      break;
    case 'UTILITY_TEMPLATE':
      assert.equal(decision.template, TEMPLATE, at);
      break;
    case 'MARKETING_MESSAGE':
      assert.equal(decision.tokenExpiresAt.getTime(), TOKEN_VALID_UNTIL.getTime(), at);
      break;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const CASES = allCases();

describe('policy engine: every purpose × age × channel × consent combination', () => {
  it('generates the full cross product', () => {
    assert.equal(CASES.length, 4 * 6 * 3 * 2 * 3 * 2 * 6);
    assert.ok(CASES.every((c) => oracle(c) !== undefined), 'every case has an oracle row');
  });

  it('every oracle row is reached by at least one case', () => {
    const used = new Set(CASES.map((c) => oracle(c)));
    for (const row of ORACLE) assert.ok(used.has(row.expect), JSON.stringify(row));
  });

  for (const purpose of PURPOSES) {
    for (const age of AGES) {
      it(`${purpose}, last interaction ${age === 'never' ? 'never' : `${age} ago`}`, () => {
        const cases = CASES.filter((c) => c.purpose === purpose && c.age === age);
        assert.equal(cases.length, 3 * 2 * 3 * 2 * 6);
        for (const c of cases) {
          const expected = oracle(c);
          assert.ok(expected, label(c));
          assertDecision(c, decide(toInput(c)), expected);
        }
      });
    }
  }
});

describe('policy engine: properties over every generated case', () => {
  const decided = CASES.map((c) => ({ c, decision: decide(deepFreeze(toInput(c))) }));

  it('never produces a retired tag anywhere in a decision', () => {
    for (const { c, decision } of decided) {
      const text = JSON.stringify(decision);
      for (const tag of RETIRED_TAGS) assert.ok(!text.includes(tag), label(c));
    }
  });

  it('produces HUMAN_AGENT only for human agent replies, and only as MESSAGE_TAG', () => {
    let tagged = 0;
    for (const { c, decision } of decided) {
      const tagField = 'tag' in decision;
      const mentions = JSON.stringify(decision).includes('HUMAN_AGENT');
      if (tagField || mentions) {
        tagged++;
        assert.equal(c.purpose, Purpose.HumanAgentReply, label(c));
        assert.ok(decision.allowed && decision.mode === 'MESSAGE_TAG' && decision.tag === 'HUMAN_AGENT', label(c));
      }
      if (decision.allowed && decision.mode === 'MESSAGE_TAG') assert.ok(tagField, label(c));
    }
    assert.ok(tagged > 0, 'the table exercises HUMAN_AGENT at all');
  });

  it('keeps each mode to its purposes: RESPONSE for replies, UPDATE for business messages, no promotion through utility', () => {
    for (const { c, decision } of decided) {
      if (!decision.allowed) continue;
      const allowedModes: Record<Purpose, string[]> = {
        [Purpose.HumanAgentReply]: ['RESPONSE', 'MESSAGE_TAG'],
        [Purpose.AutomatedReply]: ['RESPONSE'],
        [Purpose.Transactional]: ['UPDATE', 'UTILITY_TEMPLATE'],
        [Purpose.Promotion]: ['UPDATE', 'MARKETING_MESSAGE'],
      };
      assert.ok(allowedModes[c.purpose].includes(decision.mode), label(c));
    }
  });

  it('never sends on a channel that is not active, and never a promotion to someone who opted out', () => {
    for (const { c, decision } of decided) {
      if (c.status !== 'active') assert.equal(decision.allowed, false, label(c));
      if (c.purpose === Purpose.Promotion && (c.consent === 'opted_out' || c.consent === 'stop_word')) {
        assert.ok(!decision.allowed && decision.code === 'opted_out', label(c));
      }
    }
  });

  it('cites only known rule ids', () => {
    const known = new Set<string>(Object.values(POLICY_RULES));
    for (const { c, decision } of decided) assert.ok(known.has(decision.rule), label(c));
  });
});

describe('policy engine: boundaries', () => {
  const base = (purpose: Purpose, sinceLast: number, humanAgentEnabled = true): PolicyInput => ({
    purpose,
    now: NOW,
    lastInteractionAt: new Date(NOW.getTime() - sinceLast),
    channel: { status: 'active', humanAgentEnabled, utilityTemplates: [], marketingMessagesEnabled: true },
    consent: { marketing: 'none', marketingTokenExpiresAt: null, optedOut: false },
  });

  it('1 ms before 24 h is still inside the standard window, which ends 1 ms from now', () => {
    const decision = decide(base(Purpose.AutomatedReply, DAY - 1));
    assert.deepEqual(decision, { allowed: true, mode: 'RESPONSE', messagingType: 'RESPONSE', rule: 'standard_window_24h', windowExpiresAt: new Date(NOW.getTime() + 1) });
    const update = decide(base(Purpose.Transactional, DAY - 1));
    assert.ok(update.allowed && update.mode === 'UPDATE');
  });

  it('exactly 24 h is outside: automated replies and plain transactional updates are refused', () => {
    const automated = decide(base(Purpose.AutomatedReply, DAY));
    assert.ok(!automated.allowed);
    assert.equal(automated.code, 'outside_messaging_window');
    assert.match(automated.reason, /2026-07-15T12:00:00.000Z/, 'says when the window closed');
    const transactional = decide(base(Purpose.Transactional, DAY));
    assert.ok(!transactional.allowed && transactional.code === 'outside_messaging_window');
    const promotion = decide(base(Purpose.Promotion, DAY));
    assert.ok(!promotion.allowed && promotion.code === 'no_marketing_consent');
  });

  it('exactly 24 h: a human agent reply switches to HUMAN_AGENT, or is refused without the feature', () => {
    assert.deepEqual(decide(base(Purpose.HumanAgentReply, DAY)), {
      allowed: true,
      mode: 'MESSAGE_TAG',
      messagingType: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      rule: 'human_agent_7d',
      windowExpiresAt: new Date(NOW.getTime() + 6 * DAY),
    });
    const refused = decide(base(Purpose.HumanAgentReply, DAY, false));
    assert.ok(!refused.allowed && refused.code === 'outside_messaging_window' && refused.rule === 'human_agent_not_enabled');
  });

  it('1 ms before 7 days HUMAN_AGENT still applies, expiring 1 ms from now', () => {
    const decision = decide(base(Purpose.HumanAgentReply, 7 * DAY - 1));
    assert.ok(decision.allowed && decision.mode === 'MESSAGE_TAG');
    assert.equal(decision.windowExpiresAt.getTime(), NOW.getTime() + 1);
  });

  it('exactly 7 days is outside even with Human Agent enabled', () => {
    const decision = decide(base(Purpose.HumanAgentReply, 7 * DAY));
    assert.ok(!decision.allowed);
    assert.equal(decision.code, 'outside_messaging_window');
    assert.equal(decision.rule, 'human_agent_7d_elapsed');
  });

  it('a marketing token is valid until, not at, its expiry', () => {
    const withToken = (expiresAt: Date): PolicyInput => ({
      ...base(Purpose.Promotion, 2 * DAY),
      consent: { marketing: 'opted_in', marketingTokenExpiresAt: expiresAt, optedOut: false },
    });
    const valid = decide(withToken(new Date(NOW.getTime() + 1)));
    assert.deepEqual(valid, { allowed: true, mode: 'MARKETING_MESSAGE', rule: 'marketing_opt_in_token', tokenExpiresAt: new Date(NOW.getTime() + 1) });
    const expired = decide(withToken(NOW));
    assert.ok(!expired.allowed && expired.code === 'no_marketing_consent');
    assert.match(expired.reason, /expired/);
  });

  it('an interaction timestamp ahead of our clock counts as just now', () => {
    const decision = decide(base(Purpose.AutomatedReply, -5_000));
    assert.ok(decision.allowed && decision.mode === 'RESPONSE');
    assert.equal(decision.windowExpiresAt.getTime(), NOW.getTime() + 5_000 + DAY);
  });

  it('an invalid interaction date opens no window', () => {
    const decision = decide({ ...base(Purpose.AutomatedReply, 0), lastInteractionAt: new Date(Number.NaN) });
    assert.ok(!decision.allowed && decision.code === 'never_contacted');
  });

  it('needs_reauth and restricted give different reasons under the same code', () => {
    const reauth = decide({ ...base(Purpose.HumanAgentReply, HOUR), channel: { ...base(Purpose.HumanAgentReply, HOUR).channel, status: 'needs_reauth' } });
    const restricted = decide({ ...base(Purpose.HumanAgentReply, HOUR), channel: { ...base(Purpose.HumanAgentReply, HOUR).channel, status: 'restricted' } });
    assert.ok(!reauth.allowed && !restricted.allowed);
    assert.equal(reauth.code, 'channel_unavailable');
    assert.equal(restricted.code, 'channel_unavailable');
    assert.notEqual(reauth.reason, restricted.reason);
  });

  it('an opted-out promotion is refused as opted_out even on an unavailable channel, inside the window', () => {
    const decision = decide({
      ...base(Purpose.Promotion, HOUR),
      channel: { status: 'restricted', humanAgentEnabled: true, utilityTemplates: [], marketingMessagesEnabled: true },
      consent: { marketing: 'none', marketingTokenExpiresAt: null, optedOut: true },
    });
    assert.ok(!decision.allowed && decision.code === 'opted_out');
  });

  it('an opt-out does not stop a human agent from answering a customer who wrote again', () => {
    const decision = decide({ ...base(Purpose.HumanAgentReply, HOUR), consent: { marketing: 'opted_out', marketingTokenExpiresAt: null, optedOut: true } });
    assert.ok(decision.allowed && decision.mode === 'RESPONSE');
  });

  it('a never-contacted customer can still get an approved utility template or a marketing message', () => {
    const transactional = decide({
      ...base(Purpose.Transactional, 0),
      lastInteractionAt: null,
      channel: { status: 'active', humanAgentEnabled: false, utilityTemplates: [TEMPLATE], marketingMessagesEnabled: false },
      utilityTemplate: TEMPLATE,
    });
    assert.deepEqual(transactional, { allowed: true, mode: 'UTILITY_TEMPLATE', template: TEMPLATE, rule: 'utility_template' });
    const promotion = decide({
      ...base(Purpose.Promotion, 0),
      lastInteractionAt: null,
      consent: { marketing: 'opted_in', marketingTokenExpiresAt: TOKEN_VALID_UNTIL, optedOut: false },
    });
    assert.ok(promotion.allowed && promotion.mode === 'MARKETING_MESSAGE');
  });

  it('inside the window a transactional update is a plain UPDATE even when a utility template is named', () => {
    const decision = decide({
      ...base(Purpose.Transactional, HOUR),
      channel: { status: 'active', humanAgentEnabled: false, utilityTemplates: [TEMPLATE], marketingMessagesEnabled: false },
      utilityTemplate: TEMPLATE,
    });
    assert.ok(decision.allowed && decision.mode === 'UPDATE');
  });

  it('does not mutate or depend on anything but its input (frozen input, same answer)', () => {
    const input = deepFreeze(base(Purpose.HumanAgentReply, 3 * DAY));
    const before = JSON.stringify(input);
    const decision = decide(input);
    assert.equal(JSON.stringify(input), before);
    assert.ok(decision.allowed && decision.mode === 'MESSAGE_TAG');
    assert.equal(decision.windowExpiresAt.getTime(), NOW.getTime() + 4 * DAY);
  });
});

describe('RETIRED_TAGS', () => {
  it('lists the three tags Meta retired on 27 April 2026, and is frozen', () => {
    assert.deepEqual([...RETIRED_TAGS].sort(), ['ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']);
    assert.ok(Object.isFrozen(RETIRED_TAGS));
    assert.ok(!RETIRED_TAGS.includes('HUMAN_AGENT'));
  });
});

describe('replyWindow: what an agent sees on a ticket', () => {
  const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
  const at = (ms: number): Date => new Date(NOW.getTime() + ms);

  it('is closed with no expiry when the customer never wrote', () => {
    assert.deepEqual(replyWindow(null, true, NOW), { mode: 'closed', expiresAt: null });
    assert.deepEqual(replyWindow(new Date(Number.NaN), true, NOW), { mode: 'closed', expiresAt: null });
  });

  it('is standard for the first 24 h, expiring 24 h after the last interaction', () => {
    assert.deepEqual(replyWindow(ago(HOUR), false, NOW), { mode: 'standard', expiresAt: at(23 * HOUR) });
    assert.deepEqual(replyWindow(ago(23 * HOUR), true, NOW), { mode: 'standard', expiresAt: at(HOUR) });
    assert.deepEqual(replyWindow(ago(DAY - 1), true, NOW), { mode: 'standard', expiresAt: at(1) });
  });

  it('is human_agent from 24 h to 7 days when the channel has the feature', () => {
    assert.deepEqual(replyWindow(ago(DAY), true, NOW), { mode: 'human_agent', expiresAt: at(6 * DAY) });
    assert.deepEqual(replyWindow(ago(25 * HOUR), true, NOW), { mode: 'human_agent', expiresAt: at(6 * DAY - HOUR) });
    assert.deepEqual(replyWindow(ago(6 * DAY), true, NOW), { mode: 'human_agent', expiresAt: at(DAY) });
    assert.deepEqual(replyWindow(ago(7 * DAY - 1), true, NOW), { mode: 'human_agent', expiresAt: at(1) });
  });

  it('is closed after 24 h without the feature, reporting when the standard window closed', () => {
    assert.deepEqual(replyWindow(ago(DAY), false, NOW), { mode: 'closed', expiresAt: NOW });
    assert.deepEqual(replyWindow(ago(25 * HOUR), false, NOW), { mode: 'closed', expiresAt: ago(HOUR) });
    assert.deepEqual(replyWindow(ago(8 * DAY), false, NOW), { mode: 'closed', expiresAt: ago(7 * DAY) });
  });

  it('is closed from exactly 7 days with the feature, reporting when the human agent window closed', () => {
    assert.deepEqual(replyWindow(ago(7 * DAY), true, NOW), { mode: 'closed', expiresAt: NOW });
    assert.deepEqual(replyWindow(ago(8 * DAY), true, NOW), { mode: 'closed', expiresAt: ago(DAY) });
  });

  it('agrees with decide for a human agent reply at every generated age', () => {
    for (const age of AGES) {
      for (const humanAgent of [true, false]) {
        const window = replyWindow(lastInteraction(age), humanAgent, NOW);
        const decision = decide(toInput({ purpose: Purpose.HumanAgentReply, age, status: 'active', humanAgent, utility: 'not_requested', marketing: false, consent: 'none' }));
        const expectedMode = { standard: 'RESPONSE', human_agent: 'MESSAGE_TAG', closed: undefined }[window.mode];
        assert.equal(decision.allowed ? decision.mode : undefined, expectedMode, `${age} ${humanAgent}`);
        if (decision.allowed && decision.mode !== 'UTILITY_TEMPLATE' && decision.mode !== 'MARKETING_MESSAGE') {
          assert.deepEqual(decision.windowExpiresAt, window.expiresAt);
        }
      }
    }
  });
});
