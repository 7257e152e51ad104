import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapSettled {
  /** V8's heap size (committed) before and after, in bytes. */
  heapBefore: number;
  heapAfter: number;
  ms: number;
}

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives start-up's garbage back to the system, once. Loading the modules, the config and the
 * model catalogue leaves tens of MB of dead objects and a young generation grown for start-up,
 * which V8 keeps until memory runs short: an idle gateway measured 128 MB RSS, 105 MB after this.
 * The "last resort" collection (what V8 runs under memory pressure) compacts the heap and shrinks
 * the young generation; it costs about 80 ms, once, when the server has just started. Under load
 * the heap grows again as it needs.
 *
 * `gc` is only reachable with --expose-gc; it is switched on just long enough to take it from a
 * fresh context and switched off again (as jest's leak detector does). Returns undefined when this
 * Node does not allow it.
 */
export function settleHeapAfterStartup(heapSize: () => number): HeapSettled | undefined {
  let gc: GcFunction;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  const heapBefore = heapSize();
  const started = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { heapBefore, heapAfter: heapSize(), ms: performance.now() - started };
}
