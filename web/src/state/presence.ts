import type { PresenceSignal } from '@hubbub/client';
import type { ChatState } from './model';

/** Others' presence as the live signals report it (friends' presence also comes with the friend list). */
export function withPresence(st: ChatState, s: PresenceSignal): ChatState['presence'] {
  return { ...st.presence, [s.userId]: { status: s.status, lastSeen: s.lastSeen ?? null } };
}
