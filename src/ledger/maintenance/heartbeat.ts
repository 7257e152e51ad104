/**
 * Runs `beat` every `intervalMs` (unref'd: it never keeps a process alive), never two at once;
 * `stop` waits for a beat in progress. Failures are the beat's own business (it logs them).
 */
export class Heartbeat {
  readonly #beat: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(beat: () => Promise<void>) {
    this.#beat = beat;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.#run(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = this.#beat().finally(() => {
      this.#running = undefined;
    });
    await this.#running;
  }
}
