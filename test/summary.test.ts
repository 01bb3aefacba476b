/** The human summary's pieces: durations, relative times, stats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, formatDuration, formatStats } from '../src/commands/summary.js';

test('durations never print an impossible unit (1m60s) and keep two units at most', () => {
  assert.equal(formatDuration(undefined), '-');
  assert.equal(formatDuration(963), '963ms');
  assert.equal(formatDuration(4_000), '4s');
  assert.equal(formatDuration(59_960), '59.9s');
  assert.equal(formatDuration(119_600), '1m 59s');
  assert.equal(formatDuration(3_599_999), '59m 59s');
  assert.equal(formatDuration(7_260_000), '2h 1m');
  for (let ms = 0; ms < 4 * 3_600_000; ms += 1_237) assert.doesNotMatch(formatDuration(ms), /\b60s|\b60m/, String(ms));
});

test('ago and stats', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  assert.equal(ago(null, now), 'never');
  assert.equal(ago(new Date(now - 5_000), now), '5s ago');
  assert.equal(ago(new Date(now - 3 * 3_600_000), now), '3h ago');
  assert.equal(formatStats({ fetched: 25, failed: 0, nested: { a: 1 } }), 'fetched 25 · failed 0');
});
