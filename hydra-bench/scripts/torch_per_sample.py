"""Per-sample gradients of LeNet-5 in PyTorch, the way torch_reference.py takes them (vmap(grad) of
one sample's loss, functorch on PyTorch 1.13), against a loop of one backward per sample: the
PyTorch side of HydraBenchmark's per-sample gradient figure, on the same MNIST images and batch.
usage: /usr/bin/python3 torch_per_sample.py MNIST_DIR [--reference /work/shared/bench] [--batch 64]
Prints one JSON line."""
import argparse, json, sys, time
import torch, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('data'); ap.add_argument('--reference', default='/work/shared/bench')
ap.add_argument('--batch', type=int, default=64); ap.add_argument('--repeats', type=int, default=20)
a = ap.parse_args()
sys.path.insert(0, a.reference)
from torch_reference import LeNet5, idx, functional_call, grad, vmap  # the reference's own model

X = torch.tensor(idx(f'{a.data}/train-images-idx3-ubyte.gz')[:a.batch], dtype=torch.float32).div_(255).unsqueeze(1)
Y = torch.tensor(idx(f'{a.data}/train-labels-idx1-ubyte.gz')[:a.batch], dtype=torch.long)
torch.manual_seed(0)
model = LeNet5()
names = [n for n, _ in model.named_parameters()]
params = [p.detach() for p in model.parameters()]

def loss1(ps, x, y):
    return F.cross_entropy(functional_call(model, dict(zip(names, ps)), (x.unsqueeze(0),)), y.unsqueeze(0))

ps_grad = vmap(grad(loss1), in_dims=(None, 0, 0))

def batched():
    return torch.cat([t.flatten(1) for t in ps_grad(params, X, Y)], 1)

def loop():
    rows = []
    for k in range(a.batch):
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(X[k:k + 1]), Y[k:k + 1]).backward()
        rows.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    return torch.stack(rows)

def ms_per_sample(f, repeats):
    f()
    t0 = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - t0) * 1000 / repeats / a.batch

err = (batched() - loop()).abs().max().item()
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'batch': a.batch,
                  'vmap_grad_ms_per_sample': round(ms_per_sample(batched, a.repeats), 4),
                  'loop_ms_per_sample': round(ms_per_sample(loop, max(1, a.repeats // 4)), 4),
                  'max_abs_difference': err}))
