/**
 * One run of `job` at a time. A call while it runs does not start a second
 * run at once and does not simply share the running one either: it asks for
 * one more run after it, because the running one may have read its data
 * before whatever prompted the call. Any number of calls during a run cost
 * one more run. Every caller's promise settles when no run is left.
 */
export function coalesced(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await job();
        } while (again);
      } finally {
        running = null;
        again = false;
      }
    })();
    return running;
  };
}
