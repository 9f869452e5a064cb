export interface SseRecord {
  event: string;
  data: string;
  id: string | null;
}

/**
 * Incremental parser of the text/event-stream format (WHATWG HTML §9.2):
 * lines end with CR, LF or CRLF; a blank line dispatches the record;
 * `:` lines are comments; `data` lines are joined with LF. `id` is
 * the record's own id (null when it has none), not the sticky last-event-id.
 */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  private sawCR = false;

  constructor(private readonly onRecord: (r: SseRecord) => void) {}

  feed(chunk: string): void {
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR already handled.
    if (this.sawCR && text.startsWith('\n')) text = text.slice(1);
    this.sawCR = false;
    this.buf += text;
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buf.slice(start, i));
      if (c === 13) {
        if (i + 1 < this.buf.length) {
          if (this.buf.charCodeAt(i + 1) === 10) i++;
        } else this.sawCR = true;
      }
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onRecord({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.data = [];
      this.event = '';
      this.id = null;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
