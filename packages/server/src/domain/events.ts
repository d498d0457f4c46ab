/**
 * Domain events: what happened, recorded in the same transaction as the change
 * (outbox) and delivered to subscribers after commit. Ephemeral events (typing)
 * are never stored.
 */
import type { AuthorType, BotStatus, HistoryMessageDto, MessageDto, OperatorChangedPayload, OperatorStatus } from '@parley/protocol';

export type ClosedBy = 'CLIENT' | 'OPERATOR' | 'BOT' | 'SYSTEM';
export type AssignReason = 'ROUTED' | 'TAKEN' | 'TRANSFERRED' | 'REROUTED';

export type DomainEvent =
  | { type: 'session.started'; companyId: number; chatId: string; sessionId: string; botStatus: BotStatus }
  /** `botStatus`: who handled the session when the message was stored. */
  | {
      type: 'message.created'; companyId: number; chatId: string; sessionId: string; seq: number; botStatus: BotStatus;
      /** The session's group at commit (absent in events stored by older versions). */
      groupId?: number | null;
      /**
       * Who followed the assigned session as the message was stored, when the message's
       * statement read it (PostgreSQL; an operator may appear twice); absent otherwise, and
       * never stored in the outbox.
       */
      audience?: number[];
      message: MessageDto;
    }
  | { type: 'message.edited'; companyId: number; sessionId: string; message: HistoryMessageDto }
  | { type: 'message.read'; companyId: number; sessionId: string; messageId: string; reader: AuthorType; readAt: number }
  | { type: 'session.handedOff'; companyId: number; chatId: string; sessionId: string }
  /** Nobody could take the session: it is in the help queue. */
  | { type: 'session.queued'; companyId: number; chatId: string; sessionId: string }
  | { type: 'session.closed'; companyId: number; chatId: string; sessionId: string; closedBy: ClosedBy; result: string | null; operatorId: number | null }
  | {
      type: 'session.operatorChanged'; companyId: number; chatId: string; sessionId: string;
      operatorId: string; previousOperatorId: string | null; reason: AssignReason; fromQueue: boolean; change: OperatorChangedPayload;
    }
  | { type: 'session.coOperatorChanged'; companyId: number; chatId: string; sessionId: string; operatorId: string; added: boolean }
  | { type: 'session.updated'; companyId: number; chatId: string; sessionId: string }
  | { type: 'operator.loggedIn'; companyId: number; operatorId: string }
  | { type: 'operator.statusChanged'; companyId: number; operatorId: string; previousStatus: OperatorStatus; currentStatus: OperatorStatus; sessionIds: string[] }
  | { type: 'operator.loggedOut'; companyId: number; operatorId: string; sessionIds: string[] }
  | { type: 'operator.blocked'; companyId: number; operatorId: string; sessionIds: string[] }
  /** The operator's tokens were revoked (new password): live connections must close. */
  | { type: 'operator.revoked'; companyId: number; operatorId: string }
  | { type: 'client.presence'; companyId: number; sessionId: string; online: boolean; at: number }
  | {
      type: 'session.typing'; companyId: number; sessionId: string; authorType: AuthorType; authorId: string;
      /** The session's routing state, when the publisher has just read it (so the audience needs no session read). */
      chatId?: string; groupId?: number | null; botStatus?: BotStatus;
    };

export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

/** Every event type, for subscribers that take all of them (audit, tests). */
export const domainEventTypes = [
  'session.started', 'message.created', 'message.edited', 'message.read', 'session.handedOff', 'session.queued', 'session.closed',
  'session.operatorChanged', 'session.coOperatorChanged', 'session.updated', 'operator.loggedIn', 'operator.statusChanged',
  'operator.loggedOut', 'operator.blocked', 'operator.revoked', 'client.presence', 'session.typing',
] as const satisfies readonly DomainEventType[];

// Compile-time check that the list is complete.
type Missing = Exclude<DomainEventType, (typeof domainEventTypes)[number]>;
const complete: Missing extends never ? true : never = true;
void complete;

/** Events that are fanned out but never written to the outbox. */
export const ephemeralEvents: ReadonlySet<DomainEventType> = new Set(['session.typing']);
