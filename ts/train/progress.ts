// Training progress: a bar redrawn in place on a terminal, plain lines otherwise (logs).
export class Progress {
  private readonly tty: boolean;
  private epoch = 0;
  private epochs = 0;
  private total: number | undefined;
  private last = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  startEpoch(epoch: number, epochs: number, total: number | undefined): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.total = total;
    this.last = 0;
  }

  step(step: number, loss: number, perSecond: number): void {
    if (!this.tty) return; // logs get one line per epoch
    const now = performance.now();
    if (now - this.last < 100 && step !== this.total) return;
    this.last = now;
    const width = 24;
    const frac = this.total ? step / this.total : 0;
    const bar = this.total ? `[${'='.repeat(Math.round(frac * width)).padEnd(width)}] ` : '';
    const count = this.total ? `${step}/${this.total}` : `${step}`;
    this.out.write(`\repoch ${this.epoch}/${this.epochs} ${bar}${count}  loss ${loss.toFixed(4)}  ${Math.round(perSecond)} samples/s\x1b[K`);
  }

  endEpoch(loss: number, seconds: number, samples: number): void {
    const line = `epoch ${this.epoch}/${this.epochs}  loss ${loss.toFixed(4)}  ${seconds.toFixed(2)} s  ${Math.round(samples / Math.max(seconds, 1e-9))} samples/s`;
    this.out.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
