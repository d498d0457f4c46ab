/**
 * Service-level timers of a session, computed from the session object alone so that a
 * reload or a resync shows the same countdown: the first answer is due `timerFirstAnswer`
 * seconds after the assignment, each next answer `timerNextAnswers` seconds after the
 * client's first unanswered message. A timer of 0 means the chat sets no target.
 */
import type { SessionDto } from '@parley/protocol';

/** A running SL timer. */
export interface SlTimer {
  kind: 'first' | 'next';
  /** Seconds left; negative once breached. */
  remaining: number;
  breached: boolean;
}

const parse = (t: string | null | undefined): number | null => {
  if (!t) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
};

/** The timer that currently runs for `s` at `now` (ms), or null when the operator owes no answer. */
export function slTimer(s: SessionDto, now: number): SlTimer | null {
  if (s.status !== 'OPEN' || s.botStatus !== 'OPERATOR') return null;
  let kind: SlTimer['kind'];
  let from: number | null;
  let limit: number;
  if (!s.lastOperatorMessage) {
    kind = 'first';
    from = parse(s.operatorAssignedAt);
    limit = s.timerFirstAnswer;
  } else {
    kind = 'next';
    from = parse(s.firstClientMessageAfterLastOperatorMessage?.createdAt);
    limit = s.timerNextAnswers;
  }
  if (from === null || limit <= 0) return null;
  const remaining = Math.floor((from + limit * 1000 - now) / 1000);
  return { kind, remaining, breached: remaining < 0 };
}

/** `m:ss`, with a minus sign once overdue. */
export function formatCountdown(seconds: number): string {
  const sign = seconds < 0 ? '−' : '';
  const abs = Math.abs(seconds);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const sec = String(abs % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${sec}` : `${sign}${m}:${sec}`;
}
