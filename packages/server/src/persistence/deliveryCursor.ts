/**
 * SQLite: message rows as their own outbox record.
 *
 * A transaction whose only durable events are `message.created` (a client's, an operator's or
 * a bot's message on its own) writes no outbox row: the message row is already in the same
 * commit, and it is all that delivery after a restart needs. What is not yet delivered is told
 * by one mark, `delivery_cursor.message_rowid`: every message at or below it has been
 * delivered, or is named by an outbox row. The mark is written with the outbox clean-up, in
 * batches, so a message costs one page less in the log (the outbox's) and one statement less.
 * At start-up the messages above the mark, less those named by outbox rows, are delivered
 * again (see `pendingEvents` in tx.ts).
 *
 * Why a rowid works as the mark: SQLite has one connection here and transactions run one at a
 * time, messages are never deleted, and a new row's rowid is the highest one plus one, so
 * rowids grow in commit order. A message is *held* from inside its transaction, before the
 * COMMIT, until it has been delivered (or its transaction rolled back); the mark never passes
 * a held message. A message committed but not yet handed to the bus is therefore never below a
 * mark that is saved, whatever order deliveries finish in.
 *
 * PostgreSQL keeps an outbox row per transaction: concurrent transactions commit out of the
 * order their rows were numbered in, so no single mark could tell.
 */
export class DeliveryCursor {
  /** Messages stored (or being stored) and not yet delivered, by rowid. */
  private readonly held = new Set<number>();
  /** The highest rowid delivered by this process (0: none). */
  private newest = 0;
  /** The mark last saved by this process (0: none). */
  private saved = 0;

  /** Messages of an open transaction (before its COMMIT), or recovered at start-up. */
  hold(rowids: readonly number[]): void {
    for (const r of rowids) this.held.add(r);
  }

  /** Messages whose transaction rolled back: their rowids are free to be used again. */
  abandon(rowids: readonly number[]): void {
    for (const r of rowids) this.held.delete(r);
  }

  /** Messages whose events have been delivered. */
  delivered(rowids: readonly number[]): void {
    for (const r of rowids) {
      this.held.delete(r);
      if (r > this.newest) this.newest = r;
    }
  }

  /**
   * The highest rowid of the messages committed so far or being committed now: where an
   * outbox row written now stands among the messages.
   */
  get highest(): number {
    let top = this.newest;
    for (const r of this.held) if (r > top) top = r;
    return top;
  }

  /**
   * The mark to save now, or null when it would not move: the newest message delivered, or
   * just below the oldest one still held when that is lower.
   */
  next(): number | null {
    let mark = this.newest;
    for (const r of this.held) if (r <= mark) mark = r - 1;
    return mark > this.saved ? mark : null;
  }

  /** Records that `mark` is saved (after its COMMIT). */
  savedAt(mark: number): void {
    if (mark > this.saved) this.saved = mark;
  }
}
