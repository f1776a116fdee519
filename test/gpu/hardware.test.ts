// CUDA: without a usable GPU everything reports why and refuses device tensors cleanly;
// with one (and FLUXION_EXPERIMENTAL_CUDA=1) every op case runs on it and agrees with the CPU.
import test from 'ava';
import { Dense, DeviceError, backends, gpu, memory, rand, tensor } from '../../ts/index.js';
import { compareOnDevice } from '../ops/on-device.js';

const cuda = backends().cuda;

test('backends() says whether CUDA is usable, and why not', (t) => {
  t.is(typeof cuda.available, 'boolean');
  t.true(cuda.info.length > 0);
  if (!cuda.available) {
    t.regex(cuda.reason, /CUDA/);
    t.is(memory().cuda, null);
  } else t.is(cuda.reason, '');
});

// each of these runs only where it applies and is reported as skipped elsewhere
const withoutGpu = cuda.available ? test.skip : test;
const withGpu = cuda.available ? test : test.skip;

withoutGpu('without a usable GPU: cuda tensors are refused at creation with the reason; gpu() is a no-op', (t) => {
  t.throws(() => tensor([1, 2], { device: 'cuda' }), { instanceOf: DeviceError, message: /cannot create a tensor on 'cuda': .*CUDA/ });
  t.throws(() => rand(2).to('cuda'), { instanceOf: DeviceError });
  const m = Dense(2, 2);
  t.is(gpu(m), m);
});

withGpu('with a GPU: every op case agrees with the CPU', (t) => {
  const r = compareOnDevice('cuda');
  t.log(`${r.pass} cases agree`);
  t.deepEqual(r.failures, []);
});
