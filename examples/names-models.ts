// The two character models of the names example, written as a user would write them:
// layers are fields, forward says what the model computes. Both map character ids
// [batch, L] to next-character logits [batch, L, vocab].
import {
  Chain, Dense, Embedding, LSTM, Layer, LayerNorm, MultiHeadAttention, type RNG, type Tensor, gelu,
} from '../ts/index.js';

/** Embedding → LSTM → Dense: every step's hidden state predicts the next character. */
export function CharLSTM(vocab: number, opts: { embed?: number; hidden?: number; rng?: RNG } = {}) {
  const embed = opts.embed ?? 32;
  const hidden = opts.hidden ?? 128;
  const rng = opts.rng;
  return Chain(Embedding(vocab, embed, { rng }), LSTM(embed, hidden, { rng }), Dense(hidden, vocab, undefined, { rng }));
}

/** A pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x)), the MLP 4× wide. */
export class Block extends Layer {
  norm1: Layer;
  attention: Layer;
  norm2: Layer;
  mlp: Layer;
  constructor(dim: number, heads: number, rng?: RNG) {
    super();
    this.norm1 = LayerNorm(dim);
    this.attention = MultiHeadAttention(dim, heads, { rng });
    this.norm2 = LayerNorm(dim);
    this.mlp = Chain(Dense(dim, 4 * dim, gelu, { rng }), Dense(4 * dim, dim, undefined, { rng }));
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.attention(this.norm1(x), { causal: true }));
    return h.add(this.mlp(this.norm2(h)));
  }
}

/**
 * A small GPT: token and learned position embeddings, `layers` causal blocks, a final
 * LayerNorm and the vocabulary head. Sees at most `context` characters.
 */
export class CharGPT extends Layer {
  token: Layer;
  position: Layer;
  blocks: Layer;
  norm: Layer;
  head: Layer;
  constructor(
    vocab: number,
    public readonly context: number,
    opts: { dim?: number; heads?: number; layers?: number; rng?: RNG } = {},
  ) {
    super();
    const dim = opts.dim ?? 64;
    const rng = opts.rng;
    this.token = Embedding(vocab, dim, { rng });
    this.position = Embedding(context, dim, { rng });
    this.blocks = Chain(...Array.from({ length: opts.layers ?? 2 }, () => new Block(dim, opts.heads ?? 4, rng)));
    this.norm = LayerNorm(dim);
    this.head = Dense(dim, vocab, undefined, { rng });
  }
  forward(ids: Tensor): Tensor {
    const L = ids.shape[1];
    if (L > this.context) throw new RangeError(`CharGPT sees at most ${this.context} characters, got ${L}`);
    const positions = this.position(Array.from({ length: L }, (_, i) => i)) as Tensor; // [L, dim], broadcast over the batch
    return this.head(this.norm(this.blocks((this.token(ids) as Tensor).add(positions))));
  }
  override toString(): string {
    return `CharGPT(context=${this.context}, ${this.blocks})`;
  }
}
