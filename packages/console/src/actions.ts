/**
 * What an operator does to a chat, over REST. Each action applies its own result to the
 * state at once, so the console stays right even while the live connection is down; the
 * matching live event arrives later and merges without effect.
 */
import type { HistoryMessageDto, OperatorDto, PostMessageResponse, SessionDto } from '@parley/protocol';
import { ApiError, type Api } from './api.js';
import type { Action } from './state.js';

/** Session actions bound to one signed-in operator. */
export interface ChatActions {
  send(sessionId: string, body: string): Promise<void>;
  edit(messageId: string, body: string): Promise<void>;
  take(sessionId: string): Promise<void>;
  transferToOperator(sessionId: string, operatorId: string): Promise<void>;
  transferToGroup(sessionId: string, groupId: string): Promise<void>;
  close(sessionId: string, result: string): Promise<void>;
  setSpam(sessionId: string, spam: boolean): Promise<void>;
}

/** Binds the actions to the API, the state and the operator. */
export function chatActions(api: Api, dispatch: (a: Action) => void, me: OperatorDto, expectArrival: (id: string) => void): ChatActions {
  const reload = async (sessionId: string) => dispatch({ type: 'session', session: await api.request<SessionDto>('GET', `/api/v1/sessions/${sessionId}`) });
  const numericId = (v: string, what: string) => {
    const t = v.trim();
    if (!/^\d{1,12}$/.test(t)) throw new ApiError(0, 'VALIDATION_FAILED', `Enter the ${what} as a number.`);
    return t;
  };

  return {
    async send(sessionId, body) {
      const res = await api.request<PostMessageResponse>('POST', `/api/v1/sessions/${sessionId}/messages`, { body });
      const message: HistoryMessageDto = {
        id: res.id, authorId: me.id, authorType: 'OPERATOR', authorName: me.name, type: 'REGULAR', body, answers: [],
        createdAt: res.createdAt, sessionId, attachments: [], actions: [], avatar: me.avatar, readAt: null, updatedAt: null, replyToMessageId: null,
      };
      dispatch({ type: 'message', message });
    },
    async edit(messageId, body) {
      const m = await api.request<HistoryMessageDto>('PATCH', `/api/v1/messages/${messageId}`, { body });
      dispatch({ type: 'pub', pub: { event: 'chatMessageEdited', data: m }, now: Date.now() });
    },
    async take(sessionId) {
      expectArrival(sessionId);
      try {
        await api.request('POST', `/api/v1/sessions/${sessionId}/take`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          // Lost the race: the chat is someone else's now, so it leaves the queue here too.
          dispatch({ type: 'remove', sessionId, reason: 'Another operator already took this chat.' });
          throw new ApiError(409, err.code, 'Another operator already took this chat.');
        }
        throw err;
      }
      const session = await api.request<SessionDto>('GET', `/api/v1/sessions/${sessionId}`);
      dispatch({ type: 'pub', pub: { event: 'chatSessionAdded', data: session }, now: Date.now() });
    },
    async transferToOperator(sessionId, operatorId) {
      await api.request('PATCH', `/api/v1/sessions/${sessionId}/operators/${numericId(operatorId, 'operator id')}`);
      if (operatorId.trim() !== me.id) dispatch({ type: 'pub', pub: { event: 'chatSessionDeleted', data: { sessionId, reason: 'TRANSFERRED' } }, now: Date.now() });
    },
    async transferToGroup(sessionId, groupId) {
      await api.request('PATCH', `/api/v1/sessions/${sessionId}/groupoperators/${numericId(groupId, 'group id')}`);
      // Routing may hand it straight back to us; the list reload shows where it went.
      await reload(sessionId).catch(() => {});
    },
    async close(sessionId, result) {
      const trimmed = result.trim();
      await api.request('DELETE', `/api/v1/sessions/${sessionId}`, trimmed ? { result: trimmed } : {});
      await reload(sessionId).catch(() => {});
      dispatch({ type: 'remove', sessionId, reason: `You closed this chat${trimmed ? ` (${trimmed})` : ''}.` });
    },
    async setSpam(sessionId, spam) {
      await api.request('PATCH', `/api/v1/sessions/${sessionId}/${spam ? 'spam' : 'notSpam'}`);
      await reload(sessionId);
    },
  };
}
