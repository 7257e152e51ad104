/**
 * Loaded into the gateway process for the soak (`node --expose-gc --import <this file> bin/tollgate.js
 * serve`): every SOAK_PROBE_MS it runs a full GC and prints one line, `tollgate-memory {json}`, with
 * the process's RSS and live heap. After a full GC, heapUsed is what the process still holds, so a
 * leak shows as a trend instead of hiding in the sawtooth of garbage waiting to be collected.
 */
const intervalMs = Number(process.env.SOAK_PROBE_MS ?? 5_000);
const collect = (globalThis as { gc?: () => void }).gc;

const timer = setInterval(() => {
  collect?.();
  const usage = process.memoryUsage();
  const sample = {
    at: Date.now(),
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    gc: collect !== undefined,
  };
  process.stdout.write(`tollgate-memory ${JSON.stringify(sample)}\n`);
}, intervalMs);
// The probe must never be what keeps the gateway alive after a SIGTERM.
timer.unref();
