import { describe, expect, it } from 'vitest';
import { messageAgeProblem } from '../../src/message-age.js';

const NOW = new Date('2026-01-01T12:00:00.000Z');

describe('messageAgeProblem (issue #21 item 5)', () => {
  it('lets a command through up to its age limit', () => {
    expect(messageAgeProblem('2026-01-01T11:00:00.000Z', NOW, 3600)).toBeNull();
    expect(messageAgeProblem('2026-01-01T11:59:59.000Z', NOW, 3600)).toBeNull();
  });

  it('refuses one a second past the limit, naming its time, its age and the setting', () => {
    expect(messageAgeProblem('2026-01-01T10:59:59.000Z', NOW, 3600)).toBe(
      'too old to act on: occurred at 2026-01-01T10:59:59.000Z, 3601 s ago, more than commands.maxAgeSeconds (3600)',
    );
  });

  it('refuses a DLQ replay days later', () => {
    expect(messageAgeProblem('2025-12-20T12:00:00.000Z', NOW, 3600)).toMatch(
      /^too old to act on: .* 1036800 s ago/,
    );
  });

  it('refuses a time further in the future than the limit (a forged stamp cannot outlive it)', () => {
    expect(messageAgeProblem('2026-01-02T12:00:00.000Z', NOW, 3600)).toBe(
      'dated in the future: occurred at 2026-01-02T12:00:00.000Z, 86400 s from now, more than commands.maxAgeSeconds (3600)',
    );
    // Clock skew between two machines is not refused.
    expect(messageAgeProblem('2026-01-01T12:00:05.000Z', NOW, 3600)).toBeNull();
  });

  it('names a time it cannot read', () => {
    expect(messageAgeProblem('yesterday', NOW, 3600)).toBe(
      "occurredAt 'yesterday' is not a time: expected an ISO 8601 timestamp",
    );
  });
});
