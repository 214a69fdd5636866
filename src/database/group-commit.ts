interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items that arrive while one write is in flight go in the next write together,
 * so a busy path pays one statement and one commit for many items. With `waitMs`, an idle batcher
 * also holds the first item that long to gather company (for work nobody waits on); without, it
 * writes at once, so an idle path never waits on a timer. One write at a time.
 */
export class GroupCommit<T, R> {
  private waiting: Array<Waiting<T, R>> = [];
  private writing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Writes a batch; answers one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { maxItems: number; waitMs?: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.writing) return;
      if (this.waiting.length >= this.options.maxItems || !this.options.waitMs) void this.drain();
      else this.timer ??= setTimeout(() => void this.drain(), this.options.waitMs);
    });
  }

  private async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.options.maxItems);
        try {
          const results = await this.write(batch.map((waiting) => waiting.item));
          batch.forEach((waiting, i) => waiting.resolve(results[i]));
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
