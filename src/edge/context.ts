import type { Config } from '../config.js';
import type { Hub } from '../hub/hub.js';
import type { AttachmentService } from '../services/attachments.js';
import type { AuthService } from '../services/auth.js';
import type { ChatService } from '../services/chat.js';
import type { AbuseLimits } from '../services/limits.js';
import type { LinkPreviewer } from '../services/link-preview.js';
import type { PresenceService } from '../services/presence.js';
import type { SearchService } from '../services/search.js';
import type { Store } from '../store/store.js';

/** What the HTTP layer is given; routes reach the core only through it. */
export interface Ctx {
  config: Readonly<Config>;
  store: Store;
  hub: Hub;
  chat: ChatService;
  auth: AuthService;
  presence: PresenceService;
  limits: AbuseLimits;
  files: AttachmentService;
  search: SearchService;
  previews: LinkPreviewer;
}
