/** Domain events that start routing work. */
import type { Subscriber } from '../events/bus.js';
import type { Router } from './router.js';

export function routingTrigger(router: Router): Subscriber {
  const rerouteAll = (operatorId: string, sessionIds: string[]) => {
    for (const id of sessionIds) void router.reroute(id, Number(operatorId), 'queue');
    void router.drain();
  };
  return {
    name: 'routing',
    handlers: {
      'session.handedOff': (e) => void router.route(e.sessionId),
      'session.closed': (e) => {
        if (e.operatorId !== null) void router.drain();
      },
      'session.operatorChanged': (e) => {
        // A transfer frees capacity of the previous operator.
        if (e.previousOperatorId !== null) void router.drain();
      },
      'operator.statusChanged': (e) => {
        if (e.currentStatus === 'ACTIVE') void router.drain();
      },
      'operator.loggedOut': (e) => rerouteAll(e.operatorId, e.sessionIds),
      'operator.blocked': (e) => rerouteAll(e.operatorId, e.sessionIds),
    },
  };
}
