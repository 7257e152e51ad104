/**
 * An AbortController that aborts when any of its parent signals does, until unlinked.
 *
 * `AbortSignal.any()` does the same, but every composite signal it makes is tracked with weak
 * references and a finalization registry, and a call nests three of them (caller, total
 * deadline, attempt): on the gateway's hot path that was a measurable share of the client's CPU.
 * Plain listeners, removed when the attempt is over, cost a fraction and let nothing outlive it.
 */
export interface LinkedAbort {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  /** Stops following the parents (idempotent). The controller can still be aborted directly. */
  unlink(): void;
}

export function linkedAbort(parents: ReadonlyArray<AbortSignal | undefined>): LinkedAbort {
  const controller = new AbortController();
  const followed: AbortSignal[] = [];
  const onAbort = (event: Event) => {
    const parent = event.target as AbortSignal;
    unlink();
    controller.abort(parent.reason);
  };
  const unlink = () => {
    for (const parent of followed) parent.removeEventListener('abort', onAbort);
    followed.length = 0;
  };
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      unlink();
      controller.abort(parent.reason);
      break;
    }
    parent.addEventListener('abort', onAbort, { once: true });
    followed.push(parent);
  }
  return { controller, signal: controller.signal, unlink };
}
