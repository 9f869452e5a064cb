// biome-ignore lint/suspicious/noExplicitAny: listeners of differently typed events share one registry; on() is typed per event
type Listener = (...args: any[]) => void;

/**
 * A minimal typed event emitter (no Node or DOM dependency). A listener that
 * throws does not stop the others or the stream: the error is reported on
 * `error` when someone listens there, otherwise on the console.
 */
export class Emitter<E extends { [K in keyof E]: Listener }> {
  private readonly listeners = new Map<keyof E, Set<Listener>>();

  on<K extends keyof E>(name: K, fn: E[K]): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn);
    return () => this.off(name, fn);
  }

  once<K extends keyof E>(name: K, fn: E[K]): () => void {
    const wrapper = ((...args: unknown[]) => {
      off();
      fn(...args);
    }) as E[K];
    const off = this.on(name, wrapper);
    return off;
  }

  off<K extends keyof E>(name: K, fn: E[K]): void {
    this.listeners.get(name)?.delete(fn);
  }

  protected emit<K extends keyof E>(name: K, ...args: Parameters<E[K]>): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        if (name !== 'error' && this.listeners.get('error' as keyof E)?.size) this.emit('error' as K, ...([err] as Parameters<E[K]>));
        else console.error('hubbub: a listener threw', err);
      }
    }
  }
}
