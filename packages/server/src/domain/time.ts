/** Wire timestamp: `2021-03-10T08:37:53+00:00` (seconds precision, explicit UTC offset), as TWIN sends. */
export function formatTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().slice(0, 19) + '+00:00';
  }
  return lastText;
}
// Timestamps come mostly from the current second: the last one formatted is kept.
let lastSecond = NaN;
let lastText = '';

export function formatNullable(ms: number | null): string | null {
  return ms === null ? null : formatTimestamp(ms);
}

/** A clock that can be replaced in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
