// A training server: POST /train runs trainAsync (or, with ?sync=1, the blocking train) on a
// model big enough that a step takes tens of milliseconds; GET /health answers at once.
// Prints the port, then after training a JSON line with the step times it measured.
// argv: <bundled library>
import http from 'node:http';

const F = await import(process.argv[2]);
F.setNumThreads(1); // one core for training, one for the client process
const rng = new F.RNG(1);
const model = F.Chain(F.Dense(256, 1024, F.relu, { rng }), F.Dense(1024, 1024, F.relu, { rng }), F.Dense(1024, 10, undefined, { rng }));
const X = F.randn([512, 256], { rng });
const y = F.tensor(Array.from({ length: 512 }, (_, i) => i % 10), { dtype: 'int32' });
const data = new F.DataLoader([X, y], { batchSize: 256, shuffle: true, seed: 2 });
const opt = F.setup(new F.Adam(1e-3), model);
const loss = (m, a, b) => F.logitCrossEntropy(m(a), b);
// warm up (allocations, the BLAS threads, the JIT) before serving, as a server would
F.train(loss, model, data, opt, { epochs: 2, progress: false });

const server = http.createServer(async (req, res) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  if (req.url?.startsWith('/train')) {
    const sync = req.url.includes('sync=1');
    const times = [];
    let last = performance.now();
    const onStep = () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
    };
    res.writeHead(202).end('started');
    const opts = { epochs: 40, progress: false, callbacks: { onStep } };
    if (sync) F.train(loss, model, data, opt, opts);
    else await F.trainAsync(loss, model, data, opt, opts);
    process.stdout.write(`${JSON.stringify({ done: true, stepMs: times })}\n`);
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
