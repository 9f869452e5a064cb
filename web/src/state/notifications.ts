import { navigate } from '../router';
import { messagePreview } from '../format';
import type { Message } from '../types';
import { state } from './app-state';
import { displayNameOf, type ConvState } from './model';
import { toast } from './toasts';

/**
 * Desktop notifications: opt-in, remembered in localStorage; shown while the
 * tab is hidden, and for a mention of me whenever its conversation is not on
 * screen (apply-message.ts decides which).
 */

const SETTING = 'hubbub.notifications';

function granted(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

/** Whether the reader turned notifications on (and the browser still allows them). */
export function notificationsWanted(): boolean {
  return localStorage.getItem(SETTING) === 'on' && granted();
}

export function notify(c: ConvState, m: Message, mention = false): void {
  if (!state.notifications || !granted()) return;
  const where = mention
    ? `${m.senderName} mentioned you in ${displayNameOf(c)}`
    : c.summary.kind === 'direct'
      ? m.senderName
      : `${m.senderName} in ${displayNameOf(c)}`;
  try {
    const n = new Notification(where, { body: messagePreview(m, 140), tag: `hubbub-${c.summary.id}`, icon: '/favicon.svg' });
    n.onclick = () => {
      window.focus();
      navigate(`/c/${c.summary.id}`);
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

export async function setNotifications(on: boolean): Promise<void> {
  if (!on) {
    state.notifications = false;
    localStorage.setItem(SETTING, 'off');
    return;
  }
  if (typeof Notification === 'undefined') {
    toast('This browser does not support desktop notifications.', 'error');
    return;
  }
  const p = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  state.notifications = p === 'granted';
  localStorage.setItem(SETTING, state.notifications ? 'on' : 'off');
  if (!state.notifications) toast('Notifications are blocked in the browser settings.', 'error');
}
