/**
 * The app's state, as the views import it. Each concern lives in its own
 * module under state/ (docs/web.md, "State modules"); this file only names
 * what the views use, so they need not know the split.
 */
export {
  state,
  totalUnread,
  unreadOf,
  displayNameOf,
  sortedConversations,
  directWith,
  presenceOf,
  typingIn,
  pageTitle,
} from './state/app-state';
export type { ConvState, Tab, Status } from './state/model';
export { toast } from './state/toasts';
export { start, boot, login, register, logout } from './state/session';
export {
  loadOlder,
  openConversation,
  closeConversation,
  markReadIfSeen,
  startDirect,
  refreshRequests,
  refreshPublicRooms,
  joinRoom,
} from './state/conversations';
export { sendMessage, retryMessage, discardMessage, editRefused } from './state/send-queue';
export { draftOf, setDraft, draftRestore, forgetAllKept } from './state/kept';
export { failureOf, remainingChars, withinLimit, MAX_BODY_CHARS, type SendFailure } from './state/send-failure';
export { noteTyping } from './state/typing';
export { setNotifications } from './state/notifications';
