#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reference dump from PyTorch for tests/unit/nn/test_torch_ref.c (nn_torch_train_reference): the
# layers, losses and optimizers make_torch_ref.py leaves out.
#  - seq1d: conv1d (padding, stride), 1-d batch norm over (C, L) with its own eps and momentum,
#    ELU, average pool, leaky ReLU, max pool with stride != kernel, global average pool, linear,
#    hardtanh with its own limits; BCE-with-logits loss.
#  - dense: linear without bias (a bias before batch norm gets a zero gradient, float noise that
#    Adam would amplify into a random step), 1-d batch norm over features, sigmoid, power normalisation, softmax; MSE loss.
#  - img: conv2d with a rectangular kernel, stride (2, 1) and padding (1, 0), 2-d average pool,
#    global average pool; cross-entropy loss.
# Per model: the state_dict (train_<name>.safetensors, the spec in its metadata) and, in
# train_ref.safetensors, input, targets, training-mode output, loss, input gradient, every
# parameter gradient, and the eval-mode output after that step's running-statistics update.
# Then, from the dense model's weights, four steps on one batch with each optimizer and
# schedule qsdr has (SGD with momentum, Nesterov and L2 decay under the step schedule; SGD with
# global-norm clipping; Adam with L2 decay under the cosine schedule; AdamW; AMSGrad under the
# inverse schedule): the parameters after the last step.
# Generator: Debian python3-torch 1.13.1 (CPU, float32), seed 4321.
# Regenerate: /usr/bin/python3 tests/golden/nn/make_torch_train_ref.py   (never hand-edit the outputs)
import copy, json, os, struct
import torch

from st_write import write

torch.manual_seed(4321)
HERE = os.path.dirname(os.path.abspath(__file__))
gen = "tests/golden/nn/make_torch_train_ref.py, torch " + torch.__version__


class PowerNorm(torch.nn.Module):  # y = x sqrt(E / sum x^2) per sample
    def __init__(self, energy):
        super().__init__()
        self.energy = energy

    def forward(self, x):
        return x * torch.sqrt(self.energy / (x * x).sum(1, keepdim=True))


class GAP(torch.nn.Module):  # mean over every position of each channel
    def forward(self, x):
        return x.flatten(2).mean(2)


models = {
    "seq1d": ({"input": [3, 16], "loss": "bce", "layers": [
        {"type": "conv1d", "out": 4, "kernel": 3, "pad": 1}, {"type": "batchnorm", "eps": 0.001, "momentum": 0.2},
        {"type": "elu", "alpha": 0.8}, {"type": "avgpool", "kernel": 2},
        {"type": "conv1d", "out": 5, "kernel": 3, "stride": 2, "pad": 1}, {"type": "leaky_relu", "slope": 0.1},
        {"type": "maxpool", "kernel": 2, "stride": 1}, {"type": "gap"}, {"type": "linear", "out": 6},
        {"type": "hardtanh", "min": -0.5, "max": 0.7}, {"type": "linear", "out": 4}]},
        torch.nn.Sequential(torch.nn.Conv1d(3, 4, 3, padding=1), torch.nn.BatchNorm1d(4, eps=0.001, momentum=0.2),
                            torch.nn.ELU(0.8), torch.nn.AvgPool1d(2), torch.nn.Conv1d(4, 5, 3, stride=2, padding=1),
                            torch.nn.LeakyReLU(0.1), torch.nn.MaxPool1d(2, stride=1), GAP(), torch.nn.Linear(5, 6),
                            torch.nn.Hardtanh(-0.5, 0.7), torch.nn.Linear(6, 4)),
        (6, 3, 16)),
    "dense": ({"input": [5], "loss": "mse", "layers": [
        {"type": "linear", "out": 7, "bias": False}, {"type": "batchnorm"}, {"type": "sigmoid"}, {"type": "linear", "out": 6},
        {"type": "powernorm", "energy": 2.5}, {"type": "softmax"}, {"type": "linear", "out": 3}]},
        torch.nn.Sequential(torch.nn.Linear(5, 7, bias=False), torch.nn.BatchNorm1d(7), torch.nn.Sigmoid(), torch.nn.Linear(7, 6),
                            PowerNorm(2.5), torch.nn.Softmax(1), torch.nn.Linear(6, 3)),
        (8, 5)),
    "img": ({"input": [2, 6, 5], "loss": "cross_entropy", "layers": [
        {"type": "conv2d", "out": 3, "kernel": [3, 2], "stride": [2, 1], "pad": [1, 0]}, {"type": "avgpool", "kernel": 2},
        {"type": "gap"}, {"type": "linear", "out": 3}]},
        torch.nn.Sequential(torch.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), torch.nn.AvgPool2d(2), GAP(),
                            torch.nn.Linear(3, 3)),
        (5, 2, 6, 5)),
}
# non-trivial batch-norm affine parameters and running statistics
with torch.no_grad():
    for _, model, _ in models.values():
        for layer in model:
            if isinstance(layer, torch.nn.BatchNorm1d):
                layer.weight.uniform_(0.5, 1.5)
                layer.bias.uniform_(-0.5, 0.5)
                layer.running_mean.uniform_(-0.2, 0.2)
                layer.running_var.uniform_(0.8, 1.2)


def loss_of(kind, y, t):
    if kind == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(y, t)
    if kind == "mse":
        return torch.nn.functional.mse_loss(y, t)
    return torch.nn.functional.cross_entropy(y, t.long())


def target_of(kind, B, F):
    if kind == "bce":
        return torch.randint(0, 2, (B, F)).float()
    if kind == "mse":
        return torch.randn(B, F)
    return torch.randint(0, F, (B,)).float()


ref = {}
dense_start, dense_x, dense_t = None, None, None
for name, (spec, model, xshape) in models.items():
    write(os.path.join(HERE, "train_%s.safetensors" % name), model.state_dict(),
          {"format": "pt", "qsdr.spec": json.dumps(spec), "generator": gen})
    if name == "dense":
        dense_start = copy.deepcopy(model)
    x = torch.randn(*xshape, requires_grad=True)
    F = spec["layers"][-1]["out"]
    t = target_of(spec["loss"], xshape[0], F)
    model.train()
    y = model(x)
    loss = loss_of(spec["loss"], y, t)
    loss.backward()
    ref.update({name + ".x": x, name + ".target": t, name + ".y_train": y, name + ".loss": loss.reshape(1),
                name + ".grad_x": x.grad})
    for k, p in model.named_parameters():
        ref[name + ".grad." + k] = p.grad
    model.eval()
    ref[name + ".y_eval"] = model(x)
    if name == "dense":
        dense_x, dense_t = x.detach(), t

# optimizers: four steps from the dense model's initial weights, on one batch, in training mode
STEPS = 4
optims = {
    "sgd_nesterov_step": lambda p: (torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                                    lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    "sgd_momentum_clip": lambda p: (torch.optim.SGD(p, lr=0.1, momentum=0.8), None),
    "adam_l2_cosine": lambda p: (torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
                                 lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS - 1,
                                                                                      eta_min=0.001)),
    "adamw": lambda p: (torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None),
    "amsgrad_inverse": lambda p: (torch.optim.Adam(p, lr=0.01, amsgrad=True),
                                  lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: (1 + 0.5 * s) ** -0.75)),
}
for oname, make in optims.items():
    model = copy.deepcopy(dense_start)
    model.train()
    opt, sched = make(model.parameters())
    sched = sched(opt) if sched else None
    for step in range(STEPS):
        opt.zero_grad()
        loss_of("mse", model(dense_x), dense_t).backward()
        if oname == "sgd_momentum_clip":
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05)
        opt.step()
        if sched:
            sched.step()
    for k, v in model.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            ref["optim.%s.%s" % (oname, k)] = v
write(os.path.join(HERE, "train_ref.safetensors"), ref, {"generator": gen})
print("wrote", HERE)
