// The native entry points fuzzed directly, below TypeScript's validation, run in a child process
// by test/fuzz.test.ts:  node --import=tsx test/fuzz/fuzz-native.ts [seed] [calls]
//
// Every kernel of the op list is called with buffers of random kinds and lengths (typed arrays
// of every element type, live and freed device handles of the emulated device, forged handles,
// non-buffers), random numbers for its scalar arguments (near 2^31, 2^53, 2^63, negative,
// fractional, NaN, ±Inf), and random metadata: ranks, sizes and strides chosen to overflow
// (shapes near 2^31 and 2^53, strides near 2^61 and beyond 2^53, products that wrap 2^64).
// Each call must return or throw a JavaScript Error; a native crash kills the child, which the
// test reports with its output.
process.env.FLUXION_EMULATE_CUDA = '1';
const { kernelReport, meta, native, NATIVE_DEVICE } = await import('../../ts/native.js');
const { mulberry32 } = await import('../ops/cases.js');

const seed = Number(process.argv[2] ?? 1);
const calls = Number(process.argv[3] ?? 20000);
const rand = mulberry32(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

const SIZES = [0, 1, 2, 3, 7, 64];
const SPECIAL = [0, 1, -1, 2, 3, 0.5, -2.5, Number.NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 61, 2 ** 62, 2 ** 63, 2 ** 64, -(2 ** 63), 1e300];

const live: BigUint64Array[] = [];
function deviceHandle(): BigUint64Array {
  if (live.length > 0 && rand() < 0.5) return pick(live);
  const h = native.deviceAlloc(NATIVE_DEVICE.emulated, int(0, 2), pick(SIZES), rand() < 0.5);
  live.push(h);
  if (live.length > 40) native.deviceFree(live.shift() as BigUint64Array); // stays in the list of references: freed handles get used too
  return h;
}

function buffer(): unknown {
  const n = pick(SIZES);
  switch (int(0, 11)) {
    case 0:
    case 1:
    case 2:
      return new Float32Array(n).map(() => rand() * 4 - 2);
    case 3:
    case 4:
      return new Float64Array(n).map(() => rand() * 4 - 2);
    case 5:
    case 6:
      return new Int32Array(n).map(() => int(-3, 5));
    case 7:
      return deviceHandle();
    case 8: {
      // a forged handle: an address, a length, a dtype and a device that the allocator never made
      const h = new BigUint64Array(4);
      h[0] = BigInt(int(0, 2 ** 40)) * 8n;
      h[1] = BigInt(pick([0, 1, 2 ** 20, 2 ** 53]));
      h[2] = BigInt(int(0, 3));
      h[3] = BigInt(int(0, 3));
      return h;
    }
    case 9:
      return pick([new Uint8Array(n), new Int16Array(n), new BigInt64Array(n), new BigUint64Array(n + 1)]);
    case 10:
      return pick([null, undefined, 0, 'x', {}, []]);
    default:
      return new Float32Array(new Float32Array(n + 8).buffer, 16, n);
  }
}

function scalar(): unknown {
  if (rand() < 0.8) return rand() < 0.5 ? int(-2, 20) : pick(SPECIAL);
  return pick([true, false, null, undefined, 'a', {}, 10n]);
}

/** Random metadata: mostly small plausible layouts, some built to overflow or to reach out of bounds. */
function fillMeta(): void {
  meta.fill(0);
  const nd = rand() < 0.05 ? pick([-1, 17, 2 ** 31, Number.NaN]) : int(0, 4);
  meta[0] = nd;
  for (let i = 1; i < 200; i++) {
    const r = rand();
    meta[i] =
      r < 0.6 ? int(0, 4) : r < 0.75 ? int(-3, 3) : r < 0.83 ? pick(SPECIAL) : r < 0.95 ? pick([2 ** 31, 2 ** 52, 2 ** 53 - 1, 2 ** 30 * 3, 2 ** 40]) : rand() * 10;
  }
}

// The argument pattern of each kernel (b: a buffer of the call's dtype, i: an int32 buffer, o: a
// buffer or null, n: a number, f: a flag), so that most calls get past the first checks and
// reach the bounds arithmetic with random sizes and metadata.
const PATTERN: Record<string, string> = {
  binary: 'bbbn', where: 'bbbb', unary: 'bbn', unaryGrad: 'bbbbn', reduce: 'bbnn', argmax: 'ibn', softmax: 'bbfnnn',
  matmul: 'bbb', copy: 'bb', gather: 'bbinnnn', scatterAdd: 'bbinnnn', random: 'bnnnnn', sgdStep: 'bbno',
  adamStep: 'bbbbnnnnnno', biasAct: 'bonn', cumsum: 'bbnnnf',
};

function typed(dtype: number, n: number, onDevice: boolean): unknown {
  if (onDevice) {
    const h = native.deviceAlloc(NATIVE_DEVICE.emulated, dtype, n, true);
    live.push(h);
    if (live.length > 40) native.deviceFree(live.shift() as BigUint64Array);
    return h;
  }
  const T = [Float32Array, Float64Array, Int32Array][dtype];
  return new T(n).map(() => (dtype === 2 ? int(-3, 5) : rand() * 4 - 2));
}

// Kernels whose metadata is ndim, shape, then one (offset, strides) view per buffer.
const VIEWS: Record<string, number> = { binary: 3, where: 4, unary: 2, copy: 2 };

function patterned(name: string): unknown[] {
  const dtype = int(0, 2);
  const onDevice = rand() < 0.3;
  let size = () => (rand() < 0.9 ? int(0, 24) : pick([0, 1, 2 ** 10]));
  const views = VIEWS[name];
  if (views !== undefined && rand() < 0.5) {
    // a consistent layout: one dim of n elements, each view contiguous or broadcast
    const n = int(0, 40);
    size = () => n;
    meta.fill(0);
    meta[0] = 1;
    meta[1] = n;
    for (let k = 0; k < views; k++) meta[2 + 2 * k + 1] = k > 0 && rand() < 0.3 ? 0 : 1;
  }
  return [...(PATTERN[name] ?? 'bb')].map((k) => {
    if (rand() < 0.03) return rand() < 0.5 ? buffer() : scalar();
    switch (k) {
      case 'b':
        return typed(dtype, size(), onDevice);
      case 'i':
        return typed(2, size(), onDevice);
      case 'o':
        return rand() < 0.5 ? null : typed(rand() < 0.5 ? 2 : dtype, int(0, 2), onDevice);
      case 'f':
        return rand() < 0.5;
      default:
        return rand() < 0.8 ? int(-1, 8) : pick(SPECIAL);
    }
  });
}

const kernels = Object.keys(kernelReport.kernels);
let returned = 0;
let threw = 0;
const failures: string[] = [];
for (let i = 0; i < calls; i++) {
  const name = pick(kernels);
  fillMeta(); // (patterned may replace it with a consistent layout)
  let args: unknown[];
  if (rand() < 0.8) args = patterned(name);
  else {
    args = [];
    const argc = int(1, 12);
    for (let a = 0; a < argc; a++) args.push(rand() < 0.55 ? buffer() : scalar());
  }
  try {
    (native as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
    returned++;
  } catch (e) {
    if (!(e instanceof Error)) failures.push(`${name}: threw a non-Error ${String(e)}`);
    else if (!/fluxion native/.test(e.message)) failures.push(`${name}: ${e.name}: ${e.message}`);
    threw++;
  }
}
for (const f of failures.slice(0, 20)) console.log(`  ✘ ${f}`);
console.log(`${calls} native calls, ${returned} returned, ${threw} threw, ${failures.length} failures`);
process.exit(failures.length === 0 ? 0 : 1);
