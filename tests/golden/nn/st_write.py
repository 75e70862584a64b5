# SPDX-License-Identifier: MIT
# The safetensors writer of the make_torch_*_ref.py generators (Debian has no `safetensors`
# package): float32 tensors as F32, int64 as I64, the header padded to 8 bytes.
import json, struct
import torch


def write(path, tensors, metadata):
    header, data = {}, b""
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.float32:
            raw, dt = t.numpy().astype("<f4").tobytes(), "F32"
        elif t.dtype == torch.int64:
            raw, dt = t.numpy().astype("<i8").tobytes(), "I64"
        else:
            raise ValueError(t.dtype)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
