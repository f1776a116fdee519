// Bad inputs give clear errors: each names the op, the argument, what was expected and
// what was received, and has the class that says what kind of mistake it was.
import test from 'ava';
import * as F from '../ts/index.js';
import {
  ArgumentError,
  DTypeError,
  DeviceError,
  FluxionError,
  GradientError,
  IndexError,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '../ts/index.js';
import { sumTo } from '../ts/ops/reduce.js';

type Kind = new (...args: any[]) => FluxionError;
type Row = [string, () => unknown, Kind, RegExp];

const m23 = () => zeros(2, 3);
const disposed = () => {
  const x = tensor([1, 2]);
  x.dispose();
  return x;
};

const SHAPES: Row[] = [
  ['add: shapes that do not broadcast', () => tensor([1, 2, 3]).add(tensor([1, 2])), ShapeError, /^add: shapes \[3\] and \[2\] cannot be broadcast together \(dim 0: 3 vs 2\)$/],
  ['mul: 3-D shapes that do not broadcast', () => zeros(2, 3, 4).mul(zeros(3, 3)), ShapeError, /^mul: shapes \[2, 3, 4\] and \[3, 3\] cannot be broadcast together \(dim 2: 4 vs 3\)$/],
  ['matmul: inner dims differ', () => m23().matmul(zeros(4, 2)), ShapeError, /^matmul: inner dimensions differ: a is \[2, 3\] and b is \[4, 2\] \(3 vs 4\)$/],
  ['matmul: vector lengths differ', () => zeros(3).matmul(zeros(4)), ShapeError, /^matmul: inner dimensions differ.*\(3 vs 4\)/],
  ['matmul: 0-d operand', () => zeros(3).matmul(tensor(2)), ShapeError, /^matmul: expected tensors with at least 1 dim, got shapes \[3\] and \[\] \(use mul for scalars\)$/],
  ['matmul: batch dims do not broadcast', () => zeros(2, 2, 3).matmul(zeros(3, 3, 4)), ShapeError, /^matmul: shapes \[2\] and \[3\] cannot be broadcast/],
  ['concat: shapes differ outside the dim', () => F.concat([m23(), zeros(2, 2)]), ShapeError, /^concat: tensors\[1\] has shape \[2, 2\], which does not match \[2, 3\] outside dim 0$/],
  ['concat: ranks differ', () => F.concat([m23(), zeros(3)]), ShapeError, /^concat: tensors\[1\] has shape \[3\]/],
  ['concat: 0-d tensors', () => F.concat([tensor(1), tensor(2)]), ShapeError, /^concat: cannot concatenate 0-d tensors; use stack$/],
  ['stack: shapes differ', () => F.stack([m23(), zeros(3, 2)]), ShapeError, /^stack: tensors\[1\] has shape \[3, 2\], expected \[2, 3\] like tensors\[0\]$/],
  ['reshape: element count differs', () => m23().reshape([4]), ShapeError, /^reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4\] \(4 elements\)$/],
  ['reshape: two -1', () => m23().reshape([-1, -1]), ShapeError, /^reshape: expected shape to hold non-negative integers and at most one -1, got \[-1, -1\]$/],
  ['reshape: -1 cannot be inferred', () => m23().reshape([4, -1]), ShapeError, /^reshape: cannot infer -1 in \[4, -1\] for 6 elements/],
  ['expand: incompatible dim', () => zeros(2, 1).expand([3, 4]), ShapeError, /^expand: cannot expand \[2, 1\] to \[3, 4\] \(dim 0: 2 vs 3\)$/],
  ['expand: fewer dims', () => m23().expand([3]), ShapeError, /^expand: cannot expand \[2, 3\] to fewer dims \[3\]$/],
  ['linear: weight not 2-D', () => F.linear(m23(), zeros(3)), ShapeError, /^linear: expected weight to be 2-D \[out, in\], got \[3\]$/],
  ['linear: x does not fit the weight', () => F.linear(m23(), zeros(4, 2)), ShapeError, /^linear: expected x with last dimension 2, got \[2, 3\]$/],
  ['linear: bias does not fit', () => F.linear(m23(), zeros(4, 3), zeros(3)), ShapeError, /^linear: expected bias of shape \[4\], got \[3\]$/],
  ['where: cond does not broadcast', () => F.where(zeros(4), m23(), 0), ShapeError, /^where: shapes \[4\] and \[2, 3\] cannot be broadcast/],
  ['addInPlace: other is bigger than this', () => zeros(3).addInPlace(m23().add(0).get(null, F.range(0, 3))), ShapeError, /^addInPlace: other of shape \[2, 3\] does not broadcast to this tensor's shape \[3\]$/],
  ['tensor: shape does not hold the data', () => tensor([1, 2, 3], { shape: [2, 2] }), ShapeError, /^tensor: shape \[2, 2\] holds 4 elements but the data has 3$/],
  ['item: more than one element', () => m23().item(), ShapeError, /^item: expected a tensor with exactly one element, got shape \[2, 3\] \(6 elements\)$/],
  ['max: over an empty dim', () => zeros(0, 3).max(0), ShapeError, /^max: cannot reduce over an empty dimension \(shape \[0, 3\]\)$/],
  ['argmin: of an empty tensor', () => zeros(0).argmin(), ShapeError, /^argmin: cannot take the argmin of an empty tensor \(shape \[0\]\)$/],
  ['indexSelect: 2-D indices', () => m23().indexSelect(0, zeros([1, 1], { dtype: 'int32' })), ShapeError, /^indexSelect: expected indices to be 1-D, got shape \[1, 1\]$/],
  ['indexSelect: 0-d tensor', () => tensor(1).indexSelect(0, [0]), ShapeError, /^indexSelect: cannot index a 0-d tensor$/],
  ['gradient: f returns a non-scalar', () => F.gradient((x: Tensor) => x.mul(2), m23()), GradientError, /^gradient: f must return a scalar \(one element\) to differentiate, got shape \[2, 3\]/],
];

const DIMS: Row[] = [
  ['sum: dim out of range', () => m23().sum(2), IndexError, /^sum: expected dims in \[-2, 1\] for a tensor with 2 dims, got 2$/],
  ['mean: negative dim out of range', () => m23().mean(-3), IndexError, /^mean: expected dims in \[-2, 1\] for a tensor with 2 dims, got -3$/],
  ['max: repeated dims', () => m23().max([1, -1]), IndexError, /^max: dim -1 is repeated in dims \[1, -1\]$/],
  ['sum: fractional dim', () => m23().sum(0.5), IndexError, /^sum: expected dims to be an integer in \[-2, 1\], got the number 0\.5$/],
  ['sum: dims of the wrong kind', () => m23().sum('0' as never), IndexError, /^sum: expected dims to be a dim, an array of dims, or undefined, got the string "0"$/],
  ['softmax: dim out of range', () => m23().softmax(2), IndexError, /^softmax: expected dim in \[-2, 1\] for a tensor with 2 dims, got 2$/],
  ['logsoftmax: dim out of range', () => m23().logsoftmax(-3), IndexError, /^logsoftmax: expected dim in \[-2, 1\]/],
  ['argmax: dim out of range', () => m23().argmax(5), IndexError, /^argmax: expected dim in \[-2, 1\] for a tensor with 2 dims, got 5$/],
  ['argmin: dim out of range', () => m23().argmin(5), IndexError, /^argmin: expected dim in \[-2, 1\]/],
  ['permute: wrong number of dims', () => m23().permute([0]), IndexError, /^permute: expected dims to be a permutation of 2 dims, got the array \[0\]$/],
  ['permute: repeated dim', () => m23().permute([1, -1]), IndexError, /^permute: dim -1 appears twice in \[1, -1\]$/],
  ['transpose: dims out of range', () => m23().transpose(0, 2), IndexError, /^transpose: expected dim1 in \[-2, 1\] for a tensor with 2 dims, got 2$/],
  ['transpose: explicit bad dims on a vector', () => zeros(3).transpose(5, 7), IndexError, /^transpose: expected dim0 in \[-1, 0\] for a tensor with 1 dims, got 5$/],
  ['squeeze: dim out of range', () => m23().squeeze(4), IndexError, /^squeeze: expected dim in \[-2, 1\]/],
  ['unsqueeze: dim out of range', () => m23().unsqueeze(4), IndexError, /^unsqueeze: expected dim in \[-3, 2\] for a tensor with 3 dims, got 4$/],
  ['flatten: end before start', () => zeros(2, 3, 4).flatten(2, 1), IndexError, /^flatten: end dim 1 comes before start dim 2$/],
  ['slice: dim out of range', () => m23().slice(3, 0, 1), IndexError, /^slice: expected dim in \[-2, 1\]/],
  ['concat: dim out of range', () => F.concat([m23(), m23()], 2), IndexError, /^concat: expected dim in \[-2, 1\]/],
  ['stack: dim out of range', () => F.stack([m23(), m23()], 4), IndexError, /^stack: expected dim in \[-3, 2\]/],
  ['split: size 0', () => m23().split(0), ArgumentError, /^split: expected size to be a positive integer, got the number 0$/],
  ['indexSelect: dim out of range', () => m23().indexSelect(2, [0]), IndexError, /^indexSelect: expected dim in \[-2, 1\]/],
];

const INDICES: Row[] = [
  ['get: position out of range', () => zeros(3).get(5), IndexError, /^get: index 5 is out of range for dim 0 of size 3 \(shape \[3\]\)$/],
  ['get: negative position out of range', () => m23().get(null, -4), IndexError, /^get: index -4 is out of range for dim 1 of size 3/],
  ['get: fractional position', () => zeros(3).get(1.5), IndexError, /^get: index 1\.5 is out of range for dim 0/],
  ['get: too many indices', () => zeros(3).get(0, 0), IndexError, /^get: too many indices \(2\) for a tensor with 1 dims \(shape \[3\]\)$/],
  ['range: zero step', () => zeros(3).get(F.range(0, 3, 0)), IndexError, /^range: expected a positive step, got 0$/],
  ['range: fractional end', () => zeros(3).get(F.range(0, 2.5)), IndexError, /^range: expected end to be an integer or null, got 2\.5$/],
  ['range: too many arguments', () => (F.range as (...a: number[]) => F.Range)(0, 1, 1, 1), IndexError, /^range: expected \(end\), \(start, end\) or \(start, end, step\), got 4 arguments$/],
  ['get: an index of the wrong kind', () => zeros(3).get('1' as never), IndexError, /^get: expected index 0 to be an integer, a range\(start, end, step\), a list of positions, or null, got the string "1"$/],
  ['get: the old range form [0, null, 2]', () => zeros(3).get([0, null, 2] as never), IndexError, /^get: a list of positions holds integers, got null at position 1 of the index at dim 0; for a range write range\(0, null, 2\)$/],
  ['get: a position out of range in a list', () => m23().get(null, [0, 3]), IndexError, /^get: position 3 is out of range for dim 1 of size 3$/],
  ['get: a fractional position in a list', () => m23().get([0.5]), IndexError, /^get: expected integer positions in the index at dim 0, got 0\.5 at position 0$/],
  ['get: two lists', () => m23().get([0], [1]), IndexError, /^get: one list of positions per call, got lists at dims 0 and 1; for every combination index twice/],
  ['get: a list and a position apart', () => zeros(2, 3, 4).get([0], null, 1), IndexError, /^get: the list of positions at dim 0 and the position index at dim 2 are separated by dim 1, which NumPy and PyTorch would move to the front/],
  ['get: a float tensor of positions', () => m23().get(F.tensor([0, 1])), IndexError, /^get: expected the tensor index at dim 0 to be an int32 tensor of positions, got a float32 tensor/],
  ['get: a 2-D tensor of positions', () => m23().get(F.tensor([[0]], { dtype: 'int32' })), IndexError, /^get: expected the tensor index at dim 0 to be 1-D, got shape \[1, 1\]$/],
  ['get: too many indices with a list', () => zeros(3).get([0], 0), IndexError, /^get: too many indices \(2\) for a tensor with 1 dims/],
  ['indexSelect: index out of range', () => zeros(3).indexSelect(0, [0, 3]), IndexError, /^indexSelect: index 3 is out of range for a dim of size 3$/],
  ['indexSelect: negative index out of range', () => zeros(3).indexSelect(0, [-4]), IndexError, /^indexSelect: index -4 is out of range/],
  ['indexSelect: huge index (no wrap-around to 0)', () => zeros(3).indexSelect(0, [2 ** 32]), IndexError, /^indexSelect: index 4294967296 is out of range for a dim of size 3$/],
  ['indexSelect: huge index in a float tensor', () => zeros(3).indexSelect(0, tensor([2 ** 32], { dtype: 'float64' })), IndexError, /^indexSelect: index 4294967296 is out of range/],
  ['indexSelect: fractional index', () => zeros(3).indexSelect(0, [0.5]), IndexError, /^indexSelect: expected integer indices, got 0\.5 at position 0$/],
  ['indexSelect: fractional index in a tensor', () => zeros(3).indexSelect(0, tensor([1, 0.5])), IndexError, /^indexSelect: expected integer indices, got 0\.5 at position 1$/],
  ['indexSelect: indices of the wrong kind', () => zeros(3).indexSelect(0, 'a' as never), IndexError, /^indexSelect: expected indices to be an int32 Tensor or an array of integers, got the string "a"$/],
  ['slice: a bad range start names slice, not get', () => m23().slice(1, 'a' as never), IndexError, /^slice: expected the range start for dim 1 to be an integer, got the string "a"$/],
  ['slice: zero step', () => m23().slice(0, 0, 2, 0), IndexError, /^slice: expected a positive step for dim 0, got 0$/],
  ['indexAdd: Int32Array index out of range', () => F.indexAdd(zeros(2), 0, new Int32Array([0, 7]), 3), IndexError, /^indexAdd: index 7 is out of range for a dim of size 3$/],
];

const DTYPES: Row[] = [
  ['cast: unknown dtype', () => m23().cast('float16' as never), DTypeError, /^cast: expected dtype to be 'float32', 'float64' or 'int32', got the string "float16"$/],
  ['tensor: unknown dtype', () => tensor([1], { dtype: 'int8' as never }), DTypeError, /^tensor: expected dtype to be 'float32', 'float64' or 'int32', got the string "int8"$/],
  ['zeros: unknown dtype', () => zeros([2], { dtype: 'bool' as never }), DTypeError, /^zeros: expected dtype to be/],
  ['randn: int32', () => F.randn([2], { dtype: 'int32' }), DTypeError, /^randn: expected a float dtype, got int32$/],
  ['tensor: fractional int32 data', () => tensor([0.5], { dtype: 'int32' }), ArgumentError, /^tensor: int32 data must hold integers in \[-2\^31, 2\^31\), got 0\.5 at position 0$/],
  ['tensor: int32 data out of range', () => tensor([2 ** 31], { dtype: 'int32' }), ArgumentError, /^tensor: int32 data must hold integers.*got 2147483648/],
  ['to: unknown target', () => m23().to('float16'), ArgumentError, /^to: expected target to be a dtype \('float32', 'float64', 'int32'\) or a device \('cpu', 'cuda'\), got the string "float16"$/],
  ['zeros: on cuda in a CPU build', () => zeros([2], { device: 'cuda' }), DeviceError, /^cannot create a tensor on 'cuda': /],
];

const TENSOR_INPUT: Row[] = [
  ['tensor: ragged nested arrays', () => tensor([[1, 2], [3]]), ShapeError, /^tensor: ragged nested array: expected an array of length 2 at \[1\] \(from shape \[2, 2\]\), got an array of length 1$/],
  ['tensor: a number where an array belongs', () => tensor([[1, 2], 3] as never), ShapeError, /^tensor: ragged nested array: expected an array of length 2 at \[1\].*got number 3$/],
  ['tensor: a string element', () => tensor([[1, 'a']] as never), ArgumentError, /^tensor: expected a number at \[0\]\[1\], got the string "a"$/],
  ['tensor: a null element', () => tensor([1, null] as never), ArgumentError, /^tensor: expected a number at \[1\], got null$/],
  ['tensor: a boolean element', () => tensor([true] as never), ArgumentError, /^tensor: expected a number at \[0\], got the boolean true$/],
  ['tensor: an array too deep', () => tensor([[1], [[2]]] as never), ArgumentError, /^tensor: expected a number at \[1\]\[0\], got an array$/],
  ['tensor: a string', () => tensor('abc' as never), ArgumentError, /^tensor: expected data to be a number, nested arrays of numbers, or a typed array, got the string "abc"$/],
  ['tensor: undefined', () => tensor(undefined as never), ArgumentError, /^tensor: expected data to be .*, got undefined$/],
  ['tensor: a BigInt64Array', () => tensor(new BigInt64Array(2) as never), ArgumentError, /^tensor: expected data to be numbers, nested arrays of numbers, or a numeric typed array, got a BigInt64Array$/],
  ['tensor: options of the wrong kind', () => tensor([1], 'float64' as never), ArgumentError, /^tensor: expected options to be an options object, got the string "float64"$/],
  ['zeros: negative size', () => zeros(-1), ShapeError, /^zeros: expected shape to be an array of non-negative integers, got \[-1\]$/],
  ['ones: fractional size', () => F.ones(2.5), ShapeError, /^ones: expected shape to be an array of non-negative integers, got \[2\.5\]$/],
  ['full: NaN size', () => F.full([Number.NaN], 1), ShapeError, /^full: expected shape to be an array of non-negative integers, got \[NaN\]$/],
  ['full: a non-number value', () => F.full([2], '1' as never), ArgumentError, /^full: expected value to be a number, got the string "1"$/],
  ['arange: zero step', () => F.arange(0, 1, 0), ArgumentError, /^arange: step must not be 0$/],
  ['arange: infinite end', () => F.arange(0, Number.POSITIVE_INFINITY), ArgumentError, /^arange: expected end to be a finite number, got the number Infinity$/],
  ['linspace: negative count', () => F.linspace(0, 1, -1), ArgumentError, /^linspace: expected n to be a non-negative integer, got the number -1$/],
  ['zeros: a shape beyond 2^53 (even with no elements)', () => F.ones(0, 1e300), ShapeError, /^ones: shape \[0, 1e\+300\] is too large: sizes and element counts must stay below 2\^53$/],
  ['zeros: too many elements', () => zeros([2 ** 30, 2 ** 30, 2 ** 30]), ShapeError, /^zeros: shape \[1073741824, 1073741824, 1073741824\] is too large/],
  // 2^48 elements: beyond any address space, so the allocation fails even where memory is overcommitted
  ['zeros: more than memory holds', () => zeros([2 ** 48]), ShapeError, /^cannot allocate a float32 tensor of 281474976710656 elements \(1125899906842624 bytes\): /],
  ['ones: more than memory holds (non-zeroed path)', () => F.ones([2 ** 48], { dtype: 'float64' }), ShapeError, /^cannot allocate a float64 tensor of 281474976710656 elements/],
  ['zeros: a symbol in the shape', () => zeros([2, Symbol('s') as never]), ShapeError, /^zeros: expected shape to be an array of non-negative integers, got \[2, a symbol\]$/],
  ['arange: more elements than can be held', () => F.arange(0, 2 ** 50), ShapeError, /^arange: cannot allocate 1125899906842624 elements/],
  ['linspace: more elements than can be held', () => F.linspace(0, 1, 2 ** 50), ShapeError, /^linspace: cannot allocate 1125899906842624 elements/],
  ['eye: more elements than can be held', () => F.eye(2 ** 25), ShapeError, /^eye: cannot allocate 1125899906842624 elements/],
  ['linspace: a non-number start', () => F.linspace('0' as never, 1, 3), ArgumentError, /^linspace: expected start to be a finite number, got the string "0"$/],
  ['linspace: fractional int32 values name linspace', () => F.linspace(0, 1, 3, { dtype: 'int32' }), ArgumentError, /^linspace: int32 data must hold integers in \[-2\^31, 2\^31\), got 0\.5 at position 1$/],
  ['full: a fractional int32 value', () => F.full([2], 0.5, { dtype: 'int32' }), ArgumentError, /^full: an int32 value must be an integer in \[-2\^31, 2\^31\), got 0\.5$/],
  ['zerosLike: not a tensor', () => F.zerosLike([1, 2] as never), ArgumentError, /^zerosLike: expected x to be a Tensor, got the array \[1, 2\]$/],
  ['onesLike: a disposed tensor', () => F.onesLike(disposed()), FluxionError, /^onesLike: the tensor of shape \[2\] was disposed$/],
  ['tensor: a null-prototype object element', () => tensor([Object.create(null)] as never), ArgumentError, /^tensor: expected a number at \[0\], got an object$/],
  ['eye: fractional size', () => F.eye(1.5), ShapeError, /^eye: expected size to be an array of non-negative integers, got \[1\.5, 1\.5\]$/],
];

const ARGUMENTS: Row[] = [
  ['add: a string operand', () => m23().add('a' as never), ArgumentError, /^add: expected second operand to be a Tensor or a number, got the string "a"$/],
  ['sub: a null operand', () => F.sub(null as never, m23()), ArgumentError, /^sub: expected first operand to be a Tensor or a number, got null$/],
  ['exp: an object', () => F.exp({} as never), ArgumentError, /^exp: expected x to be a Tensor or a number, got an object$/],
  ['matmul: a number operand', () => F.matmul(m23(), 3 as never), ArgumentError, /^matmul: expected b to be a Tensor, got the number 3$/],
  ['sum: not a tensor', () => F.sum([1, 2] as never), ArgumentError, /^sum: expected x to be a Tensor, got the array \[1, 2\]$/],
  ['reshape: shape of the wrong kind', () => m23().reshape('ab' as never), ArgumentError, /^reshape: expected shape to be separate integers, reshape\(2, 3\), or one array, reshape\(\[2, 3\]\); got the string "ab"$/],
  ['concat: not an array', () => F.concat(m23() as never), ArgumentError, /^concat: expected tensors to be a non-empty array of tensors, got a float32 tensor of shape \[2, 3\] on cpu$/],
  ['concat: an empty list', () => F.concat([]), ArgumentError, /^concat: expected tensors to be a non-empty array of tensors, got an array of length 0$/],
  ['stack: a non-tensor element', () => F.stack([m23(), 1 as never]), ArgumentError, /^stack: expected tensors\[1\] to be a Tensor, got the number 1$/],
  ['fill: a non-number', () => m23().fill('1' as never), ArgumentError, /^fill: expected value to be a number, got the string "1"$/],
  ['sumTo: g not a tensor', () => sumTo(null as never, [2]), ArgumentError, /^sumTo: expected g to be a Tensor, got null$/],
  ['sumTo: shape of the wrong kind', () => sumTo(m23(), null as never), ArgumentError, /^sumTo: expected shape to be an array of non-negative integers, got null$/],
  ['sumTo: a shape that does not broadcast to g', () => sumTo(m23(), [4]), ShapeError, /^sumTo: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
  ['sumTo: a shape g cannot be summed to', () => sumTo(zeros(2, 1), [1, 3]), ShapeError, /^sumTo: cannot sum g of shape \[2, 1\] to shape \[1, 3\], which does not broadcast to it$/],
  ['gradient: f is not a function', () => F.gradient(3 as never, m23()), ArgumentError, /^gradient: expected f to be a function, got the number 3$/],
];

const DISPOSED: Row[] = [
  ['add: a disposed tensor', () => disposed().add(1), FluxionError, /^add: the tensor of shape \[2\] was disposed$/],
  ['exp: a view of a disposed tensor', () => {
    const x = m23();
    const v = x.T;
    x.dispose();
    return v.exp();
  }, FluxionError, /^exp: the tensor of shape \[3, 2\] was disposed$/],
  ['matmul: a disposed second operand', () => tensor([1, 2]).matmul(disposed()), FluxionError, /^matmul: the tensor of shape \[2\] was disposed$/],
  ['concat: a disposed element', () => F.concat([tensor([1]), disposed()]), FluxionError, /^concat: the tensor of shape \[2\] was disposed$/],
  ['indexSelect: disposed indices', () => zeros(3).indexSelect(0, disposed()), FluxionError, /^indexSelect: the tensor of shape \[2\] was disposed$/],
  ['toArray: a disposed tensor', () => disposed().toArray(), FluxionError, /^toArray: the tensor of shape \[2\] was disposed$/],
  ['data: a disposed tensor', () => disposed().data(), FluxionError, /^data: the tensor of shape \[2\] was disposed$/],
  ['gradient: a disposed argument', () => F.gradient((x: Tensor) => x.sum(), disposed()), FluxionError, /^gradient: the tensor of shape \[2\] was disposed$/],
];

const IN_PLACE: Row[] = [
  ['addInPlace: into a broadcast view', () => zeros(3).expand([2, 3]).addInPlace(1), FluxionError, /^addInPlace: cannot write in place to a broadcast view \(dim 0 repeats one element 2 times\); use \.clone\(\) first$/],
  ['assign: into a broadcast view', () => zeros(2, 1).expand([2, 4]).assign(1), FluxionError, /^assign: cannot write in place to a broadcast view \(dim 1 repeats one element 4 times\)/],
  ['fill: into a broadcast view', () => zeros(1).expand([3]).fill(1), FluxionError, /^fill: cannot write in place to a broadcast view/],
  ['divInPlace: an int32 tensor (used to crash with SIGFPE on / 0)', () => tensor([1, 2], { dtype: 'int32' }).divInPlace(0), DTypeError, /^divInPlace: cannot divide an int32 tensor in place \(the quotient is not an integer\); use \.div\(\), which returns float32$/],
  ['mulInPlace: a tensor being differentiated', () => F.gradient((x: Tensor) => x.mulInPlace(2).sum(), m23()), GradientError, /^mulInPlace: cannot modify a tensor in place while it is being differentiated \(shape \[2, 3\]\)/],
];

const GROUPS: [string, Row[]][] = [
  ['shape', SHAPES],
  ['dims', DIMS],
  ['indices', INDICES],
  ['dtype', DTYPES],
  ['tensor()', TENSOR_INPUT],
  ['argument', ARGUMENTS],
  ['disposed', DISPOSED],
  ['in place', IN_PLACE],
];

for (const [group, rows] of GROUPS)
  for (const [label, call, Kind, message] of rows)
    test(`${group} · ${label}`, (t) => {
      const err = t.throws(call, { instanceOf: Kind, message });
      t.true(err instanceof FluxionError, 'every error is a FluxionError');
      t.is(err?.name, Kind.name, 'the name says the class');
    });

test('a disposed tensor still prints, and disposing twice is safe', (t) => {
  const x = disposed();
  t.notThrows(() => x.dispose());
  t.is(x.toString(), 'Tensor<float32>[2] (disposed)');
  t.true(x.disposed);
});
