/**
 * The participant validator (hand-written for speed) and the cached time-zone
 * arithmetic, against what they replace: every rule of a row, and every hour
 * of a year with DST changes against luxon asked directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { ValidationError } from '../src/core/errors.js';
import { parseProviderTime } from '../src/integrations/runsignup.js';
import { parseParticipant } from '../src/integrations/runsignup/participant.js';

const GOOD = {
  registration_id: 101,
  user: {
    user_id: '55',
    first_name: ' Ann ',
    last_name: 'Lee',
    email: 'ann@example.com',
    dob: '05/17/1990',
    gender: 'F',
    address: { city: 'Boston', state: 'MA', zipcode: '02110', country_code: 'US' },
  },
  bib_num: 1042,
  chip_num: '',
  age: '36',
  registration_date: '1/9/2026 17:10',
  last_modified: '1767996600',
  amount_paid: '$1,045.50',
  team_info: { team_name: 'Harriers' },
};

test('a good participant: ids from digits, text trimmed, empty text null, dates and money normalised', () => {
  const p = parseParticipant(GOOD);
  assert.deepEqual(
    { ...p, registrationDate: p.registrationDate?.toISOString(), lastModified: p.lastModified?.toISOString() },
    {
      registrationId: 101,
      userId: 55,
      firstName: 'Ann',
      lastName: 'Lee',
      email: 'ann@example.com',
      dob: '1990-05-17',
      gender: 'F',
      age: 36,
      bibNum: '1042',
      chipNum: null,
      registrationDate: '2026-01-09T22:10:00.000Z',
      lastModified: '2026-01-09T22:10:00.000Z',
      amountPaid: '1045.50',
      teamInfo: { team_name: 'Harriers' },
      city: 'Boston',
      state: 'MA',
      zipcode: '02110',
      countryCode: 'US',
    },
  );
});

test('absent parts read as empty: no user, user [] (PHP), no address, null age and money', () => {
  for (const user of [undefined, null, []]) {
    const p = parseParticipant({ registration_id: '7', user, age: null, amount_paid: null });
    assert.equal(p.registrationId, 7);
    assert.equal(p.firstName, null);
    assert.equal(p.city, null);
    assert.equal(p.age, null);
    assert.equal(p.amountPaid, null);
  }
});

test('each broken rule is a ValidationError naming its field', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no id', { registration_id: undefined }, /registration_id/],
    ['negative id', { registration_id: -4 }, /registration_id/],
    ['id as words', { registration_id: 'abc' }, /registration_id/],
    ['user as text', { user: 'ann' }, /user/],
    ['long first name', { user: { first_name: 'x'.repeat(101) } }, /user\.first_name is longer than 100/],
    ['name as object', { user: { last_name: { a: 1 } } }, /user\.last_name/],
    ['bad dob', { user: { dob: '02/30/1990' } }, /user\.dob/],
    ['address as list', { user: { address: ['Boston'] } }, /user\.address/],
    ['age 151', { age: 151 }, /age/],
    ['age as words', { age: 'ten' }, /age/],
    ['bad registration date', { registration_date: 'yesterday' }, /registration_date/],
    ['bad last_modified', { last_modified: 'soon' }, /last_modified/],
    ['object last_modified', { last_modified: {} }, /last_modified/],
    ['bad money', { amount_paid: 'free' }, /amount_paid/],
    ['long bib', { bib_num: '9'.repeat(51) }, /bib_num/],
  ];
  for (const [what, change, reason] of cases) {
    assert.throws(
      () => parseParticipant({ ...GOOD, ...change }),
      (err: unknown) => err instanceof ValidationError && reason.test(err.message),
      what,
    );
  }
  assert.throws(() => parseParticipant('a row'), ValidationError);
  assert.throws(() => parseParticipant(null), ValidationError);
});

/** What the cache stands in for: luxon asked for the exact wall time, the earlier instant when it happens twice. */
function reference(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  let at = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  const earlier = at.minus({ hours: 1 });
  if (earlier.hour === at.hour && earlier.minute === at.minute && earlier.day === at.day) at = earlier;
  return at.toMillis();
}

test('cached zone arithmetic equals luxon for every hour of a year, DST days included, in zones that change at 2:00, 1:00 UTC and midnight', () => {
  const zones = ['America/New_York', 'Europe/London', 'America/Santiago', 'Australia/Sydney', 'Asia/Kolkata'];
  for (const zone of zones) {
    for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 3_600_000) {
      const d = new Date(at);
      const [y, m, day, h] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()];
      const text = `${m}/${day}/${y} ${String(h).padStart(2, '0')}:30`;
      assert.equal(parseProviderTime(text, zone).getTime(), reference(y, m, day, h, 30, zone), `${text} ${zone}`);
    }
  }
});
