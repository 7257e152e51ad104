/**
 * Batch progress on stderr: a live bar (cli-progress) on a terminal; elsewhere (CI logs, files) a
 * plain line every few seconds, since a redrawn bar would fill a log with control codes.
 */
import cliProgress from 'cli-progress';
import { moneyToUsdString } from '../../shared/money.ts';
import { duration } from '../output.ts';
import type { BatchProgress } from './batch-runner.ts';

export interface ProgressView {
  update(progress: BatchProgress): void;
  /** A message that must not be drawn over by the bar. */
  log(line: string): void;
  stop(): void;
}

function rateAndEta(progress: BatchProgress, now: number): { rate: number; etaMs: number | undefined } {
  const finished = progress.done + progress.failed;
  const elapsed = Math.max(1, now - progress.startedAt);
  const rate = (finished * 1000) / elapsed;
  const left = progress.total - finished;
  return { rate, etaMs: rate > 0 ? (left / rate) * 1000 : undefined };
}

export function plainProgressLine(progress: BatchProgress, now: number): string {
  const { rate, etaMs } = rateAndEta(progress, now);
  const finished = progress.done + progress.failed;
  return (
    `batch: ${finished}/${progress.total} done` +
    `${progress.failed > 0 ? ` (${progress.failed} failed)` : ''}, ${progress.inFlight} in flight, ` +
    `${rate.toFixed(2)}/s, ETA ${etaMs === undefined ? '?' : duration(etaMs)}, spent $${moneyToUsdString(progress.spent)}`
  );
}

export function createProgressView(options: {
  total: number;
  tty: boolean;
  intervalMs: number;
}): ProgressView {
  if (options.tty && options.total > 0) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'batch |{bar}| {value}/{total} | {rate}/s | ETA {eta_formatted} | spent {spent} | {failed} failed',
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, 0, { rate: '0.00', spent: '$0', failed: 0 });
    return {
      update(progress) {
        bar.update(progress.done + progress.failed, {
          rate: rateAndEta(progress, Date.now()).rate.toFixed(2),
          spent: `$${moneyToUsdString(progress.spent)}`,
          failed: progress.failed,
        });
      },
      log(line) {
        // Clear the bar's line, print, and let the next redraw bring the bar back.
        process.stderr.write(`\r\u001b[2K${line}\n`);
      },
      stop() {
        bar.stop();
      },
    };
  }

  let last: BatchProgress | undefined;
  let lastPrinted = Date.now();
  const print = () => {
    if (!last) return;
    lastPrinted = Date.now();
    process.stderr.write(`${plainProgressLine(last, lastPrinted)}\n`);
  };
  // A timer too, so a run where every call is slow still reports; unref'd: it never keeps Node alive.
  const timer = setInterval(
    () => {
      if (Date.now() - lastPrinted >= options.intervalMs) print();
    },
    Math.min(options.intervalMs, 1_000),
  );
  timer.unref();
  return {
    update(progress) {
      last = progress;
      if (Date.now() - lastPrinted >= options.intervalMs) print();
    },
    log(line) {
      process.stderr.write(`${line}\n`);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
