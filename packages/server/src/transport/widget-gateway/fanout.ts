/**
 * Domain events → Socket.IO events for the session's client connections, payloads
 * exactly as TWIN's widget receives them.
 */
import { WidgetEvent } from '@parley/protocol';
import type { Subscriber } from '../../events/bus.js';
import { sessionRoom, type WidgetServer } from './gateway.js';

export function widgetFanout(io: WidgetServer): Subscriber {
  return {
    name: 'widget-fanout',
    handlers: {
      'message.created': (e) => {
        // The client's own messages are not echoed back (TWIN sends bot and operator messages only).
        if (e.message.authorType !== 'CLIENT') io.to(sessionRoom(e.sessionId)).emit(WidgetEvent.chatMessageCreated, e.message);
      },
      'session.typing': (e) => {
        if (e.authorType !== 'CLIENT') io.to(sessionRoom(e.sessionId)).emit(WidgetEvent.showTypingIndicator, { authorType: e.authorType });
      },
      'message.read': (e) => {
        if (e.reader === 'OPERATOR') io.to(sessionRoom(e.sessionId)).emit(WidgetEvent.chatMessageRead, { messageId: e.messageId });
      },
      'session.operatorChanged': (e) => {
        io.to(sessionRoom(e.sessionId)).emit(WidgetEvent.operatorChanged, e.change);
      },
      'operator.statusChanged': (e) => {
        const payload = { operatorId: e.operatorId, previousStatus: e.previousStatus, currentStatus: e.currentStatus };
        for (const id of e.sessionIds) io.to(sessionRoom(id)).emit(WidgetEvent.operatorStatusChanged, payload);
      },
      'operator.loggedOut': (e) => {
        for (const id of e.sessionIds) io.to(sessionRoom(id)).emit(WidgetEvent.operatorLoggedOut, { operatorId: e.operatorId });
      },
      'session.closed': (e) => {
        const room = sessionRoom(e.sessionId);
        io.to(room).emit(WidgetEvent.sessionClosed, { sessionId: e.sessionId, closedBy: e.closedBy, result: e.result });
        // The key is dead now: a server-side disconnect, which clients do not retry.
        io.in(room).disconnectSockets(true);
      },
      'message.edited': (e) => {
        if (e.message.authorType !== 'CLIENT') io.to(sessionRoom(e.sessionId)).emit(WidgetEvent.chatMessageEdited, e.message);
      },
    },
  };
}
