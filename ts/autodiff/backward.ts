// The reverse walk. Nodes were appended in execution order, so walking the tape
// backwards visits each node after everything that used its output. Each rule's
// gradients are summed back to the input's shape here, in one place, and accumulated
// with public ops, so an enclosing tape records this whole pass.
import { fromArray } from '../backend/index.js';
import { add } from '../ops/binary.js';
import { cast } from '../ops/cast.js';
import { sumTo } from '../ops/reduce.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { type Tape, checkVersions, nodeOn } from './tape.js';

const ONE = [1];

export function backward(tape: Tape, root: Tensor, seed?: Tensor): void {
  const rootNode = nodeOn(root, tape);
  if (rootNode === null) return;
  if (seed === undefined) seed = fromArray(root.size === 1 ? ONE : new Array<number>(root.size).fill(1), root.shape, root.dtype, root.device);
  rootNode.ct = seed;
  const nodes = tape.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const ct = node.ct;
    if (ct === null || node.vjp === null) continue;
    node.ct = null;
    checkVersions(node);
    const inputs = node.inputs as readonly Tensor[];
    const parents = node.parents as (typeof node)[];
    const thunks = node.vjp(ct, inputs, node.out as Tensor, node.ctx);
    for (let j = 0; j < parents.length; j++) {
      const parent = parents[j];
      const thunk = thunks[j];
      if (parent === null || thunk === null || thunk === undefined) continue;
      let g = thunk();
      const x = inputs[j];
      if (!sameShape(g.shape, x.shape)) g = sumTo(g, x.shape);
      if (g.dtype !== x.dtype) g = cast(g, x.dtype);
      parent.ct = parent.ct === null ? g : add(parent.ct, g);
    }
  }
}
