import { navigate, router } from '../router';
import { state } from './app-state';
import type { Effect } from './apply-event';
import { markReadIfSeen, refreshConversations, refreshFriends } from './conversations';
import { notify } from './notifications';
import { toast } from './toasts';

/** Carries out what applyEvent asked for: the only place its effects touch the network or the screen. */
export function runEffects(effects: readonly Effect[]): void {
  for (const e of effects) {
    switch (e.kind) {
      case 'refreshConversations':
        refreshConversations().catch(() => {
          /* the next event or reconnect asks again */
        });
        break;
      case 'refreshFriends':
        refreshFriends().catch(() => {});
        break;
      case 'markRead':
        markReadIfSeen();
        break;
      case 'notify': {
        const c = state.conversations[e.conversationId];
        if (c) notify(c, e.message, e.mention);
        break;
      }
      case 'toast':
        toast(e.text);
        break;
      case 'closed':
        if (router.route.name === 'conversation') navigate('/', { replace: true });
        break;
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  }
}
