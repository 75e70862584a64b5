#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reference dump from PyTorch for tests/unit/nn/test_torch_ref.c: a Sequential with conv2d
# (padding), batch norm, ReLU, max pool, flatten, linear, tanh, linear; its state_dict (PyTorch's
# own names, including num_batches_tracked) as model.safetensors, and in ref.safetensors the
# input, the training-mode output, the cross-entropy loss, every gradient, and the eval-mode
# output after that step's running-statistics update.
# Generator: Debian python3-torch 1.13.1 (CPU, float32), seed 1234.
# Regenerate: /usr/bin/python3 tests/golden/nn/make_torch_ref.py   (never hand-edit the outputs)
import json, os, struct
import torch

from st_write import write

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))
spec = {"input": [2, 6, 6], "layers": [
    {"type": "conv2d", "out": 4, "kernel": 3, "pad": 1}, {"type": "batchnorm"}, {"type": "relu"},
    {"type": "maxpool", "kernel": 2}, {"type": "flatten"}, {"type": "linear", "out": 8}, {"type": "tanh"},
    {"type": "linear", "out": 3}]}
model = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(36, 8), torch.nn.Tanh(),
                            torch.nn.Linear(8, 3))
with torch.no_grad():  # non-trivial BN affine parameters
    model[1].weight.uniform_(0.5, 1.5)
    model[1].bias.uniform_(-0.5, 0.5)


write(os.path.join(HERE, "model.safetensors"), model.state_dict(),
      {"format": "pt", "qsdr.spec": json.dumps(spec), "generator": "tests/golden/nn/make_torch_ref.py, torch " + torch.__version__})
x = torch.randn(5, 2, 6, 6, requires_grad=True)
target = torch.tensor([0, 2, 1, 2, 0])
model.train()
y = model(x)
loss = torch.nn.functional.cross_entropy(y, target)
loss.backward()
ref = {"x": x, "target": target.float(), "y_train": y, "loss": loss.reshape(1), "grad_x": x.grad}
for k, p in model.named_parameters():
    ref["grad." + k] = p.grad
model.eval()
ref["y_eval"] = model(x)
write(os.path.join(HERE, "ref.safetensors"), ref, {"generator": "tests/golden/nn/make_torch_ref.py, torch " + torch.__version__})
print("wrote", HERE)
