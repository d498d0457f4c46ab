/** Wire timestamp: `2021-03-10T08:37:53+00:00` (seconds precision, explicit UTC offset), as TWIN sends. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + '+00:00';
}

export function formatNullable(ms: number | null): string | null {
  return ms === null ? null : formatTimestamp(ms);
}

/** A clock that can be replaced in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
