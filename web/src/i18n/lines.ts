import type { SystemLine } from '../state/model';
import { t } from './index';

/**
 * What a system line says, in the active language ("bob joined" / "bob 加入了").
 * The same cases as state/lines.ts lineText (which stays the English source for
 * code outside the views), with "you" for the reader. Exhaustive over the kinds.
 */
export function systemLineText(l: SystemLine, meId: string | undefined): string {
  const me = l.userId === meId;
  const who = me ? t('lines.you') : l.name;
  const whom = me ? t('lines.youObject') : l.name;
  const by = l.byId === meId ? t('lines.you') : l.byName;
  switch (l.kind) {
    case 'joined':
      return by ? t('lines.added', { by, whom }) : t('lines.joined', { who });
    case 'left':
      return t('lines.left', { who });
    case 'removed':
      return t('lines.removed', { by: by ?? t('common.someone'), whom });
    case 'renamed':
      return t('lines.renamed', { name: l.text ?? '' });
    case 'owner':
      return me ? t('lines.youOwner') : t('lines.owner', { who });
    case 'moderator':
      return me ? t('lines.youModerator') : t('lines.moderator', { who });
    case 'unmoderator':
      return me ? t('lines.youUnmoderator') : t('lines.unmoderator', { who });
    default: {
      const unreachable: never = l.kind;
      return unreachable;
    }
  }
}
