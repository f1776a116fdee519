// Child process for the kill-mid-save test: saves a ~24 MB model over and over, each
// version filled with its version number, and reports each completed save.
import { saveState, tensor } from '../../ts/index.js';

const file = process.argv[2];
const big = { a: tensor(new Float32Array(3_000_000)), b: tensor(new Float32Array(3_000_000)) };
for (let v = 1; ; v++) {
  big.a.fill(v);
  big.b.fill(v);
  saveState(file, big, undefined, { version: v });
  process.stdout.write(`saved ${v}\n`);
}
