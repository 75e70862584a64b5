#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reference dump from PyTorch for tests/unit/nn/test_torch_quant_ref.c: quantization-aware
# layers, forward and straight-through backward, written here in PyTorch from the formulas of
# docs/nn.md ("Quantization"), not from qsdr's C: DoReFa-style, LSQ and sign weights, PACT and
# symmetric activations, 1..8 bits, in linear and conv2d layers. PyTorch's autograd composes
# the layers; qsdr must give the same outputs, loss, input gradient, weight/bias gradients and
# gradients of the learned quantizer parameters (LSQ steps, PACT/sym clips alpha).
#
# Two models (quant_mlp, quant_conv): quant_<name>.safetensors holds the spec and the weights
# (PyTorch's state_dict plus the quantizer parameters under qsdr's names, N.wq.step and
# N.aq.alpha); quant_ref.safetensors holds per model the input, targets, output, loss and every
# gradient. Seeds (weights and inputs) are tried from 1000 up until no value a quantizer rounds
# or clips lies within 1e-3 (in code units) of a rounding or clipping edge, so last-bit
# differences between float libraries cannot move a code: the comparison is then exact up to
# float rounding.
# Generator: Debian python3-torch 1.13.1 (CPU, float32).
# Regenerate: /usr/bin/python3 tests/golden/nn/make_torch_quant_ref.py   (never hand-edit the outputs)
import json, math, os, struct
import torch

from st_write import write

HERE = os.path.dirname(os.path.abspath(__file__))
EDGE = 1e-3
margins = []  # (name, smallest distance to an edge in code units) of the last forward


def note(name, d):
    margins.append((name, float(d.min()) if d.numel() else 1.0))


def ste_round(v):
    return v + (torch.round(v) - v).detach()  # torch.round: half to even, as rint


def sgn(v):
    return torch.where(v >= 0, torch.ones_like(v), -torch.ones_like(v))


def grad_scale(s, g):
    return s * g + (s - s * g).detach()  # value s, gradient times g (LSQ)


# ---- weight quantizers: w is (out, ...), per output channel -------------------------------------
def q_dorefa(w, bits, name):
    wc = w.reshape(w.shape[0], -1)
    if bits == 1:  # sign(w) * mean|w_c|, identity straight-through
        s = wc.abs().mean(1, keepdim=True).detach()
        note(name, wc.abs() / s)
        return (wc + (sgn(wc) * s - wc).detach()).reshape(w.shape)
    Q = 2 ** (bits - 1) - 1
    mw = wc.abs().max(1, keepdim=True)[0].detach()
    mt = torch.tanh(mw)
    v = torch.tanh(wc) / mt * Q  # within [-Q, Q]; the straight-through path is through tanh
    note(name, ((v - torch.floor(v)) - 0.5).abs())
    return (ste_round(v) * (mw / Q)).reshape(w.shape)


def q_sign(w, bits, name):
    wc = w.reshape(w.shape[0], -1)
    s = wc.abs().mean(1, keepdim=True).detach()
    note(name, torch.cat([wc.abs().flatten() / s.min(), (wc.abs() - 1).abs().flatten()]))
    ste = torch.clamp(wc, -1, 1)  # hardtanh straight-through
    return (ste + (sgn(wc) * s - ste).detach()).reshape(w.shape)


def q_lsq(w, bits, step, name):
    wc = w.reshape(w.shape[0], -1)
    N = wc.shape[1]
    Q = 1 if bits == 1 else 2 ** (bits - 1) - 1
    s = grad_scale(step, 1 / math.sqrt(N * Q)).reshape(-1, 1)
    v = wc / s
    if bits == 1:  # sign(v) s; d/dw straight through on |v| <= 1; d/ds = sign(v) (times g)
        note(name, torch.cat([v.abs().flatten(), (v.abs() - 1).abs().flatten()]))
        inside = (v.detach().abs() <= 1).float()
        return (sgn(v.detach()) * s + (wc * inside - (wc * inside).detach())).reshape(w.shape)
    vc = torch.clamp(v, -Q, Q)  # LSQ: d/ds = round(v) - v inside, +-Q outside; d/dw = 1 inside
    note(name, torch.cat([((vc - torch.floor(vc)) - 0.5).abs().flatten(), (v.abs() - Q).abs().flatten()]))
    return (ste_round(vc) * s).reshape(w.shape)


# ---- activation quantizers: one clip alpha per layer ---------------------------------------------
def q_pact(x, bits, alpha, name):
    Q = 2 ** bits - 1
    y = torch.where(x >= alpha, alpha.expand_as(x), torch.relu(x))  # d/dalpha = 1 where x >= alpha
    a = alpha.detach()
    u = y.detach() * Q / a
    note(name, torch.cat([((u - torch.floor(u)) - 0.5).abs().flatten(), (x.detach() - a).abs().flatten() * Q / a,
                          x.detach()[x.detach() != 0].abs() * Q / a]))  # an exact 0 (after ReLU) is no edge
    return y + (torch.round(u) * a / Q - y).detach()


def q_sym(x, bits, alpha, name):
    a = alpha.detach()
    note(name + " clip", (x.detach().abs() - a).abs() / a)
    if bits == 1:  # sign(x) alpha; d/dx = 1 on |x| <= alpha; d/dalpha = sign(x)
        note(name, x.detach().abs() / a)
        inside = torch.clamp(x, -a, a)
        h = sgn(x.detach())
        return inside + (h * a - inside).detach() + h * (alpha - a)
    Q = 2 ** (bits - 1) - 1
    y = torch.maximum(torch.minimum(x, alpha.expand_as(x)), -alpha.expand_as(x))  # d/dalpha = +-1 outside
    u = y.detach() * Q / a
    note(name, ((u - torch.floor(u)) - 0.5).abs())
    return y + (torch.round(u) * a / Q - y).detach()


class QLayer(torch.nn.Module):
    """A linear or conv2d layer whose input and weights are fake-quantized."""

    def __init__(self, inner, weight, wbits, act, abits, alpha, name):
        super().__init__()
        self.inner, self.weight_q, self.wbits, self.act, self.abits, self.name = inner, weight, wbits, act, abits, name
        self.alpha = torch.nn.Parameter(torch.tensor([alpha]))
        self.step = None
        if weight == "lsq":  # LSQ's initial step 2 mean|w| / sqrt(Q), perturbed so that loading it is checked
            Q = 1 if wbits == 1 else 2 ** (wbits - 1) - 1
            w = inner.weight.detach().reshape(inner.weight.shape[0], -1)
            s = (2 * w.abs().mean(1) / math.sqrt(Q)) * (1 + 0.2 * torch.rand(w.shape[0]))
            if wbits == 1:
                s = w.abs().mean(1) * (1 + 0.2 * torch.rand(w.shape[0]))
            self.step = torch.nn.Parameter(s)

    def forward(self, x):
        xq = (q_pact if self.act == "pact" else q_sym)(x, self.abits, self.alpha, self.name + " act")
        w = self.inner.weight
        if self.weight_q == "dorefa":
            wq = q_dorefa(w, self.wbits, self.name + " weights")
        elif self.weight_q == "sign":
            wq = q_sign(w, self.wbits, self.name + " weights")
        else:
            wq = q_lsq(w, self.wbits, self.step, self.name + " weights")
        if isinstance(self.inner, torch.nn.Linear):
            return torch.nn.functional.linear(xq, wq, self.inner.bias)
        c = self.inner
        return torch.nn.functional.conv2d(xq, wq, c.bias, c.stride, c.padding)


def build(name, seed):
    torch.manual_seed(seed)
    if name == "quant_mlp":
        spec = {"input": [12], "quant": {"weight": "dorefa", "act": "auto"}, "layers": [
            {"type": "linear", "out": 16, "quant": {"wbits": 4, "abits": 4}},
            {"type": "relu"},
            {"type": "linear", "out": 12, "quant": {"weight": "lsq", "wbits": 3, "abits": 3}},
            {"type": "tanh"},
            {"type": "linear", "out": 10, "quant": {"weight": "sign", "act": "sym", "wbits": 1, "abits": 1}},
            {"type": "relu"},
            {"type": "linear", "out": 8, "quant": {"weight": "lsq", "act": "pact", "wbits": 1, "abits": 2}},
            {"type": "hardtanh"},
            {"type": "linear", "out": 3, "quant": {"weight": "dorefa", "act": "sym", "wbits": 1, "abits": 2}}],
            "loss": "cross_entropy"}
        L = [QLayer(torch.nn.Linear(12, 16), "dorefa", 4, "sym", 4, 1.5, "0"), torch.nn.ReLU(),
             QLayer(torch.nn.Linear(16, 12), "lsq", 3, "pact", 3, 0.6, "2"), torch.nn.Tanh(),
             QLayer(torch.nn.Linear(12, 10), "sign", 1, "sym", 1, 0.3, "4"), torch.nn.ReLU(),
             QLayer(torch.nn.Linear(10, 8), "lsq", 1, "pact", 2, 0.2, "6"), torch.nn.Hardtanh(),
             QLayer(torch.nn.Linear(8, 3), "dorefa", 1, "sym", 2, 0.3, "8")]
        xshape = (6, 12)
    else:
        spec = {"input": [2, 7, 7], "quant": {"weight": "lsq", "act": "auto"}, "layers": [
            {"type": "conv2d", "out": 4, "kernel": 3, "pad": 1, "stride": 2, "quant": {"wbits": 2, "abits": 3}},
            {"type": "relu"},
            {"type": "conv2d", "out": 5, "kernel": [2, 3], "quant": {"weight": "dorefa", "wbits": 8, "abits": 4}},
            {"type": "flatten"},
            {"type": "linear", "out": 3, "quant": {"weight": "dorefa", "act": "sym", "wbits": 2, "abits": 8}}],
            "loss": "cross_entropy"}
        L = [QLayer(torch.nn.Conv2d(2, 4, 3, stride=2, padding=1), "lsq", 2, "sym", 3, 1.2, "0"), torch.nn.ReLU(),
             QLayer(torch.nn.Conv2d(4, 5, (2, 3)), "dorefa", 8, "pact", 4, 0.5, "2"), torch.nn.Flatten(),
             QLayer(torch.nn.Linear(30, 3), "dorefa", 2, "sym", 8, 0.1, "4")]
        xshape = (4, 2, 7, 7)
    return spec, torch.nn.Sequential(*L), xshape


gen = "tests/golden/nn/make_torch_quant_ref.py, torch " + torch.__version__
ref = {}
for name in ("quant_mlp", "quant_conv"):
    for seed in range(1000, 2000):
        spec, model, xshape = build(name, seed)
        x = torch.randn(*xshape, requires_grad=True)
        target = torch.randint(0, 3, (xshape[0],))
        margins.clear()
        y = model(x)
        worst = min(margins, key=lambda m: m[1])
        if worst[1] > EDGE:
            break
    else:
        raise SystemExit(name + ": no seed keeps every value away from the quantizers' edges")
    loss = torch.nn.functional.cross_entropy(y, target)
    loss.backward()
    state = {}
    for i, layer in enumerate(model):
        if isinstance(layer, QLayer):
            state["%d.weight" % i] = layer.inner.weight
            state["%d.bias" % i] = layer.inner.bias
            if layer.step is not None:
                state["%d.wq.step" % i] = layer.step
            state["%d.aq.alpha" % i] = layer.alpha
            for k, p in (("weight", layer.inner.weight), ("bias", layer.inner.bias), ("wq.step", layer.step),
                         ("aq.alpha", layer.alpha)):
                if p is not None:
                    ref["%s.grad.%d.%s" % (name, i, k)] = p.grad
    write(os.path.join(HERE, name + ".safetensors"), state,
          {"format": "pt", "qsdr.spec": json.dumps(spec), "generator": gen})
    ref.update({name + ".x": x, name + ".target": target.float(), name + ".y": y, name + ".loss": loss.reshape(1),
                name + ".grad_x": x.grad})
    print("%s: seed %d, closest edge %.2g (%s)" % (name, seed, worst[1], worst[0]))
write(os.path.join(HERE, "quant_ref.safetensors"), ref, {"generator": gen})
print("wrote", HERE)
