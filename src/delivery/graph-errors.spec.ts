import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifySendFailure,
  DEFAULT_PAUSE_SECONDS,
  parseBusinessUseCaseUsage,
  SEND_ERROR_TABLE,
  type Classification,
  type ErrorRule,
  type SendFailure,
} from './graph-errors';

/** The smallest realistic failure that should land on `rule`. */
function failureFor(rule: ErrorRule): SendFailure {
  const { code, subcode, http } = rule.match;
  switch (http) {
    case 'timeout_before_send':
    case 'timeout_after_send':
    case 'network':
      return { transport: http };
    case 'status_429':
      return { httpStatus: 429 };
    case 'status_5xx':
      return { httpStatus: 502 };
    case 'status_4xx':
      return { httpStatus: 400 };
    case undefined:
      return code === undefined ? {} : { httpStatus: 400, code, subcode: subcode ?? null };
  }
}

function describeRule(rule: ErrorRule): string {
  const { code, subcode, http } = rule.match;
  if (http) return `http ${http}`;
  if (code === undefined) return 'anything else';
  return subcode === undefined ? `code ${code}` : `code ${code}/${subcode}`;
}

interface Expect {
  action: Classification['action'];
  channelStatus?: 'needs_reauth' | 'restricted';
  recordsOptOut?: boolean;
  pauseSeconds?: number;
  reason?: RegExp;
}

/** Asserts every field of the classification, so a missing or extra field is caught too. */
function expectClassified(failure: SendFailure, expected: Expect): Classification {
  const got = classifySendFailure(failure);
  const at = JSON.stringify(failure);
  assert.equal(got.action, expected.action, at);
  assert.ok(got.reason.trim().length > 0, at);
  if (expected.reason) assert.match(got.reason, expected.reason, at);
  assert.equal(got.channelStatus, expected.channelStatus, at);
  assert.equal(got.recordsOptOut, expected.recordsOptOut ?? false, at);
  assert.equal(got.pauseSeconds, expected.pauseSeconds, at);
  assert.equal(got.code, failure.code ?? null, at);
  assert.equal(got.subcode, failure.subcode ?? null, at);
  return got;
}

const graph = (code: number, subcode?: number, httpStatus = 400): SendFailure => ({ httpStatus, code, subcode: subcode ?? null });

describe('SEND_ERROR_TABLE, row by row', () => {
  it('has a unique, non-empty reason per row, so a classification names its row', () => {
    const reasons = SEND_ERROR_TABLE.map((row) => row.reason);
    assert.ok(reasons.every((reason) => reason.trim().length > 0));
    assert.equal(new Set(reasons).size, reasons.length);
  });

  it('is frozen, rows and matches included', () => {
    assert.ok(Object.isFrozen(SEND_ERROR_TABLE));
    for (const row of SEND_ERROR_TABLE) assert.ok(Object.isFrozen(row) && Object.isFrozen(row.match), describeRule(row));
  });

  it('puts every code+subcode row before the code-only row for the same code', () => {
    SEND_ERROR_TABLE.forEach((row, index) => {
      if (row.match.code === undefined || row.match.subcode !== undefined) return;
      const later = SEND_ERROR_TABLE.slice(index + 1).filter((other) => other.match.code === row.match.code);
      assert.deepEqual(later, [], describeRule(row));
    });
  });

  it('ends with a catch-all that matches anything', () => {
    assert.deepEqual(SEND_ERROR_TABLE[SEND_ERROR_TABLE.length - 1].match, {});
    assert.equal(SEND_ERROR_TABLE.filter((row) => Object.keys(row.match).length === 0).length, 1);
  });

  it('keeps channel status, opt-out and retryability consistent with the action', () => {
    for (const row of SEND_ERROR_TABLE) {
      const at = describeRule(row);
      assert.equal(row.channelStatus !== undefined, row.action === 'hold_channel', at);
      if (row.recordsOptOut) assert.equal(row.action, 'fail', at);
      const expectedRetryable = row.action === 'retry' || row.action === 'pause_page' || row.action === 'hold_channel';
      assert.equal(row.retryable, expectedRetryable, at);
    }
  });

  for (const row of SEND_ERROR_TABLE) {
    it(`${describeRule(row)} → ${row.action}`, () => {
      const failure = failureFor(row);
      expectClassified(failure, {
        action: row.action,
        channelStatus: row.channelStatus,
        recordsOptOut: row.recordsOptOut,
        pauseSeconds: row.action === 'pause_page' ? DEFAULT_PAUSE_SECONDS : undefined,
        // The row is reached, not shadowed by an earlier one.
        reason: new RegExp(`^${row.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      });
      if (row.match.code !== undefined && row.match.subcode === undefined) {
        // Code-only rows hold for any subcode the table does not name.
        assert.equal(classifySendFailure({ ...failure, subcode: 424242 }).reason, row.reason);
      }
    });
  }
});

describe('classifySendFailure: the required rows', () => {
  describe('rate limits pause the Page', () => {
    for (const code of [4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80007, 80008]) {
      it(`code ${code} pauses the Page for the default when Meta names no wait`, () => {
        expectClassified(graph(code), { action: 'pause_page', pauseSeconds: 60, reason: new RegExp(`\\b${code}\\b`) });
      });
    }

    it('uses Retry-After when present', () => {
      expectClassified({ ...graph(613), retryAfterSeconds: 7 }, { action: 'pause_page', pauseSeconds: 7 });
    });

    it('uses X-Business-Use-Case-Usage when present', () => {
      const wait = parseBusinessUseCaseUsage(JSON.stringify({ '112233': [{ type: 'messenger', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 3 }] }));
      expectClassified({ ...graph(80006), businessUseCaseWaitSeconds: wait }, { action: 'pause_page', pauseSeconds: 180 });
    });

    it('pauses for the longer of the two, rounding fractions up', () => {
      expectClassified({ ...graph(32), retryAfterSeconds: 120, businessUseCaseWaitSeconds: 60 }, { action: 'pause_page', pauseSeconds: 120 });
      expectClassified({ ...graph(17), retryAfterSeconds: 5, businessUseCaseWaitSeconds: 300 }, { action: 'pause_page', pauseSeconds: 300 });
      expectClassified({ ...graph(4), retryAfterSeconds: 2.2 }, { action: 'pause_page', pauseSeconds: 3 });
    });

    it('ignores zero, negative, NaN and null waits and falls back to the default', () => {
      expectClassified({ ...graph(4), retryAfterSeconds: 0, businessUseCaseWaitSeconds: 0 }, { action: 'pause_page', pauseSeconds: 60 });
      expectClassified({ ...graph(4), retryAfterSeconds: -3, businessUseCaseWaitSeconds: Number.NaN }, { action: 'pause_page', pauseSeconds: 60 });
      expectClassified({ ...graph(4), retryAfterSeconds: null, businessUseCaseWaitSeconds: null }, { action: 'pause_page', pauseSeconds: 60 });
    });

    it('HTTP 429 without a Graph body pauses the Page for Retry-After', () => {
      expectClassified({ httpStatus: 429, retryAfterSeconds: 5 }, { action: 'pause_page', pauseSeconds: 5, reason: /429/ });
      expectClassified({ httpStatus: 429 }, { action: 'pause_page', pauseSeconds: 60 });
    });

    it('HTTP 429 carrying code 4 is the code-4 row', () => {
      expectClassified({ ...graph(4, undefined, 429), retryAfterSeconds: 9 }, { action: 'pause_page', pauseSeconds: 9, reason: /\b4\b/ });
    });
  });

  describe('marketing frequency limits fail for that recipient only', () => {
    it('4/2018354 fails, and does not pause the Page as code 4 would', () => {
      expectClassified({ ...graph(4, 2018354), retryAfterSeconds: 30 }, { action: 'fail', reason: /2018354/ });
    });

    it('9/2018352 fails', () => {
      expectClassified(graph(9, 2018352), { action: 'fail', reason: /2018352/ });
    });
  });

  describe('temporary failures retry', () => {
    for (const code of [1200, 2, 1]) {
      it(`code ${code} retries, whatever the HTTP status`, () => {
        expectClassified(graph(code), { action: 'retry', reason: new RegExp(`\\(${code}\\)`) });
        expectClassified(graph(code, undefined, 500), { action: 'retry', reason: new RegExp(`\\(${code}\\)`) });
      });
    }

    for (const status of [500, 502, 503, 504]) {
      it(`HTTP ${status} without a Graph body retries`, () => {
        expectClassified({ httpStatus: status }, { action: 'retry', reason: /5xx/ });
      });
    }

    it('an unrecognised Graph code on a 5xx retries as a server error', () => {
      expectClassified(graph(12345, undefined, 503), { action: 'retry', reason: /5xx/ });
    });

    it('a timeout before the request was sent retries', () => {
      expectClassified({ transport: 'timeout_before_send' }, { action: 'retry', reason: /before the request was sent/ });
    });

    it('a refused connection retries', () => {
      expectClassified({ transport: 'network' }, { action: 'retry', reason: /nothing was sent/ });
    });
  });

  describe('an unknowable outcome', () => {
    it('a timeout after the request was sent is unknown, never retry', () => {
      expectClassified({ transport: 'timeout_after_send' }, { action: 'unknown', reason: /echo/ });
    });

    it('the transport wins over any status or code the client may also have recorded', () => {
      expectClassified({ transport: 'timeout_after_send', httpStatus: 503, code: 2 }, { action: 'unknown' });
    });

    it('a failure with nothing to go on is unknown', () => {
      expectClassified({}, { action: 'unknown', reason: /could not be determined/ });
    });
  });

  describe('permanent failures', () => {
    it('10/2018278 fails: outside the messaging window', () => {
      expectClassified(graph(10, 2018278), { action: 'fail', reason: /outside the allowed messaging window/ });
    });

    it('551 fails and records an opt-out, with or without a subcode', () => {
      expectClassified(graph(551), { action: 'fail', recordsOptOut: true, reason: /opt-out/ });
      expectClassified(graph(551, 1545041), { action: 'fail', recordsOptOut: true, reason: /opt-out/ });
    });

    it('100 fails: invalid parameter', () => {
      expectClassified(graph(100), { action: 'fail', reason: /Invalid parameter/ });
    });

    it('100/1893061 fails: a retired tag', () => {
      expectClassified(graph(100, 1893061), { action: 'fail', reason: /retired message tag/ });
    });

    it('100/2018001 fails: no matching user', () => {
      expectClassified(graph(100, 2018001), { action: 'fail', reason: /No matching user/ });
    });

    it('200 and 230 fail: permissions', () => {
      expectClassified(graph(200, undefined, 403), { action: 'fail', reason: /Permissions error/ });
      expectClassified(graph(230, undefined, 403), { action: 'fail', reason: /Permissions disallow/ });
    });

    it('368 fails: abusive', () => {
      expectClassified(graph(368), { action: 'fail', reason: /abusive/ });
    });

    it('an unrecognised 4xx Graph error fails with a generic reason', () => {
      expectClassified(graph(10, 99999, 403), { action: 'fail', reason: /unrecognised/ });
      expectClassified(graph(9), { action: 'fail', reason: /unrecognised/ });
      expectClassified(graph(99), { action: 'fail', reason: /unrecognised/ });
      expectClassified({ httpStatus: 404 }, { action: 'fail', reason: /unrecognised/ });
    });
  });

  describe('channel-wide failures hold the channel', () => {
    it('190 holds the channel as needs_reauth, whatever the subcode', () => {
      expectClassified(graph(190, undefined, 401), { action: 'hold_channel', channelStatus: 'needs_reauth', reason: /token/ });
      expectClassified(graph(190, 463, 401), { action: 'hold_channel', channelStatus: 'needs_reauth' });
    });

    it('10/1893063 holds the channel as restricted', () => {
      expectClassified(graph(10, 1893063, 403), { action: 'hold_channel', channelStatus: 'restricted', reason: /restricted/ });
    });
  });
});

describe('parseBusinessUseCaseUsage', () => {
  const header = (value: unknown): string => JSON.stringify(value);
  const entry = (minutes: unknown, type = 'messenger') => ({ type, call_count: 100, total_cputime: 12, total_time: 40, estimated_time_to_regain_access: minutes });

  it('is null when the header is absent or empty', () => {
    assert.equal(parseBusinessUseCaseUsage(undefined), null);
    assert.equal(parseBusinessUseCaseUsage(''), null);
    assert.equal(parseBusinessUseCaseUsage('   '), null);
  });

  it('is null for garbage', () => {
    for (const garbage of ['not json', '{"a":', 'null', '42', '"text"', '[]', '[{"estimated_time_to_regain_access":5}]', '{}']) {
      assert.equal(parseBusinessUseCaseUsage(garbage), null, garbage);
    }
  });

  it('converts Meta’s minutes to seconds', () => {
    assert.equal(parseBusinessUseCaseUsage(header({ '1234567890': [entry(5)] })), 300);
    assert.equal(parseBusinessUseCaseUsage(header({ '1234567890': [entry(0.5)] })), 30);
  });

  it('keeps a zero wait as zero, distinct from absent', () => {
    assert.equal(parseBusinessUseCaseUsage(header({ '1234567890': [entry(0)] })), 0);
  });

  it('takes the longest wait across business ids and entries', () => {
    const value = header({ '111': [entry(2), entry(7, 'pages')], '222': [entry(4)] });
    assert.equal(parseBusinessUseCaseUsage(value), 420);
  });

  it('skips entries without a usable number and keeps the usable ones', () => {
    const value = header({ '111': [entry('10'), entry(-1), entry(null), { type: 'messenger', call_count: 90 }, 'x', entry(1)], '222': 'not-a-list' });
    assert.equal(parseBusinessUseCaseUsage(value), 60);
  });

  it('is null when no entry carries a usable wait', () => {
    assert.equal(parseBusinessUseCaseUsage(header({ '111': [{ type: 'messenger', call_count: 90, total_cputime: 1, total_time: 1 }] })), null);
    assert.equal(parseBusinessUseCaseUsage(header({ '111': [] })), null);
  });

  it('feeds the classifier: a business use case limit pauses for the parsed wait', () => {
    const wait = parseBusinessUseCaseUsage(header({ '111': [entry(10)] }));
    expectClassified({ ...graph(80001), businessUseCaseWaitSeconds: wait }, { action: 'pause_page', pauseSeconds: 600 });
  });
});
