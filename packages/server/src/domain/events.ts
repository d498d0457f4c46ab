/**
 * Domain events: what happened, recorded in the same transaction as the change
 * (outbox) and delivered to subscribers after commit. Ephemeral events (typing)
 * are never stored.
 */
import type { AuthorType, BotStatus, MessageDto, OperatorChangedPayload, OperatorStatus } from '@parley/protocol';

export type ClosedBy = 'CLIENT' | 'OPERATOR' | 'BOT' | 'SYSTEM';

export type DomainEvent =
  | { type: 'session.started'; companyId: number; chatId: string; sessionId: string; botStatus: BotStatus }
  | { type: 'message.created'; companyId: number; sessionId: string; seq: number; message: MessageDto }
  | { type: 'message.read'; companyId: number; sessionId: string; messageId: string; reader: AuthorType; readAt: number }
  | { type: 'session.handedOff'; companyId: number; chatId: string; sessionId: string }
  | { type: 'session.closed'; companyId: number; chatId: string; sessionId: string; closedBy: ClosedBy; result: string | null; operatorId: number | null }
  | { type: 'session.operatorChanged'; companyId: number; sessionId: string; change: OperatorChangedPayload }
  | { type: 'operator.statusChanged'; companyId: number; operatorId: string; previousStatus: OperatorStatus; currentStatus: OperatorStatus; sessionIds: string[] }
  | { type: 'operator.loggedOut'; companyId: number; operatorId: string; sessionIds: string[] }
  | { type: 'client.presence'; companyId: number; sessionId: string; online: boolean; at: number }
  | { type: 'session.typing'; companyId: number; sessionId: string; authorType: AuthorType; authorId: string };

export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

/** Events that are fanned out but never written to the outbox. */
export const ephemeralEvents: ReadonlySet<DomainEventType> = new Set(['session.typing']);
