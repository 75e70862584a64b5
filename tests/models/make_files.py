#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Generates the safetensors test files: tests/models/dtypes.safetensors (one layer per dtype,
# weights j % 7, as PyTorch's safetensors writes them) and one corrupt file per case in
# tests/models/bad/ with cases.txt (file|expected message). Python standard library only.
# Regenerate: python3 tests/models/make_files.py   (never hand-edit the outputs)
import json, math, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "bad")
SPEC = {"input": [4], "layers": [{"type": "linear", "out": 3}, {"type": "relu"}, {"type": "linear", "out": 2}]}


def pack(dtype, values):
    if dtype == "F32": return b"".join(struct.pack("<f", v) for v in values)
    if dtype == "F64": return b"".join(struct.pack("<d", v) for v in values)
    if dtype == "F16": return b"".join(struct.pack("<e", v) for v in values)
    if dtype == "BF16": return b"".join(struct.pack("<f", v)[2:] for v in values)
    if dtype == "I8": return bytes((int(v) & 0xff) for v in values)
    if dtype == "U8": return bytes(int(v) for v in values)
    if dtype == "I32": return b"".join(struct.pack("<i", int(v)) for v in values)
    raise ValueError(dtype)


def build(tensors, metadata, header_edit=None):
    """tensors: list of (name, dtype, shape, values); returns the file bytes"""
    header, data = {}, b""
    for name, dtype, shape, values in tensors:
        raw = pack(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None: header["__metadata__"] = metadata
    if header_edit: header_edit(header)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def base_tensors(dtype="F32"):
    return [("0.weight", dtype, [3, 4], [j % 7 for j in range(12)]), ("0.bias", dtype, [3], [0.5, -0.5, 1.0]),
            ("2.weight", dtype, [2, 3], [j % 7 for j in range(6)]), ("2.bias", dtype, [2], [0.25, -0.25])]


META = {"format": "pt", "qsdr.spec": json.dumps(SPEC)}


def write(name, content):
    with open(os.path.join(BAD, name), "wb") as f: f.write(content)


def main():
    os.makedirs(BAD, exist_ok=True)
    # one layer per dtype, 25 weights each: signs, fractions, both ends of each dtype's range
    # (F16 and BF16 subnormals included) and, for F64, values float32 must round. The float32
    # each should load as is in the metadata ("qsdr.test.expect": one list per layer)
    dspec = {"input": [5], "layers": [{"type": "linear", "out": 5, "bias": False} for _ in range(6)]}
    dts = ["F32", "F16", "BF16", "F64", "I8", "U8"]
    vals = {
        "F32": [0, 1, -1, 0.375, -2.625, 1e-45, -1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 0.1, -123.456],
        "F16": [0, 1, -1, 0.5, -2.5, 2**-10, 2**-14, -(2**-14), 2**-24, -3 * 2**-24, 1023 * 2**-24, 65504, -65504, 0.333251953125, -1000.5],
        "BF16": [0, 1, -1, -1.5, 3.140625, 2**-126, -(2**-130), 3.3895313892515355e38, -0.0078125, 2**-10],
        "F64": [0, 1, -1, 0.1, -1 / 3, 1e-40, 2.5e38, -7.25, 1 + 2**-30],
        "I8": [0, 1, -1, 127, -128, 64, -65],
        "U8": [0, 1, 255, 128, 7, 200],
    }
    def as_stored(d, v):  # the value the file holds, as float32 (what the loader must produce)
        raw = pack(d, [v])
        if d == "F16": v = struct.unpack("<e", raw)[0]
        elif d == "BF16": v = struct.unpack("<f", b"\0\0" + raw)[0]
        elif d == "F64": v = struct.unpack("<d", raw)[0]
        return struct.unpack("<f", struct.pack("<f", v))[0]
    t, expect = [], []
    for i, d in enumerate(dts):
        w = [vals[d][j % len(vals[d])] for j in range(25)]
        if d in ("F16", "BF16"):  # the listed values are exact in these dtypes
            assert all(as_stored(d, v) == v for v in w), d
        t.append((f"{i}.weight", d, [5, 5], w))
        expect.append([as_stored(d, v) for v in w])
    with open(os.path.join(HERE, "dtypes.safetensors"), "wb") as f:
        f.write(build(t, {"format": "pt", "qsdr.spec": json.dumps(dspec), "qsdr.test.expect": json.dumps(expect)}))

    good = build(base_tensors(), META)
    cases = []

    def case(fname, content, expect):
        write(fname, content)
        cases.append(f"{fname}|{expect}")

    case("empty.safetensors", b"", "too short")
    case("short.safetensors", b"\x10\x00\x00", "too short")
    case("header_len_huge.safetensors", struct.pack("<Q", 1 << 40) + good[8:], "header length")
    case("header_len_zero.safetensors", struct.pack("<Q", 0) + good[8:], "header length")
    case("header_past_end.safetensors", struct.pack("<Q", len(good)) + good[8:], "header length")
    bad_json = b"{\"0.weight\": {\"dtype\": \"F32\", "
    case("header_not_json.safetensors", struct.pack("<Q", len(bad_json)) + bad_json, "not a JSON object")
    case("header_array.safetensors", struct.pack("<Q", 8) + b"[1,2,3] ", "not a JSON object")

    def edit(fn):
        return build(base_tensors(), META, fn)

    case("unknown_dtype.safetensors", edit(lambda h: h["0.bias"].update(dtype="F8")), "unknown dtype 'F8'")
    case("missing_dtype.safetensors", edit(lambda h: h["0.bias"].pop("dtype")), "needs dtype, shape and data_offsets")
    case("offsets_outside.safetensors", edit(lambda h: h["2.bias"].update(data_offsets=[84, 4096])), "outside the")
    case("offsets_reversed.safetensors", edit(lambda h: h["0.bias"].update(data_offsets=[60, 48])), "outside the")
    case("overlap.safetensors", edit(lambda h: h["0.bias"].update(data_offsets=[40, 52])), "overlap")
    case("size_mismatch.safetensors", edit(lambda h: h["0.weight"].update(shape=[3, 5])), "bytes for 15 elements")
    case("negative_shape.safetensors", edit(lambda h: h["0.bias"].update(shape=[-3])), "non-negative")
    case("truncated.safetensors", good[:-10], "outside the")
    case("missing_tensor.safetensors", build(base_tensors()[:3], META), "tensor '2.bias' is missing")
    case("wrong_shape.safetensors",
         build([("0.weight", "F32", [4, 3], list(range(12)))] + base_tensors()[1:], META),
         "tensor '0.weight' has shape [4, 3]; the model spec needs [3, 4]")
    case("extra_tensor.safetensors", build(base_tensors() + [("9.weight", "F32", [1], [1.0])], META),
         "tensor '9.weight' is not part of the model spec")
    nan = base_tensors()
    nan[2] = ("2.weight", "F32", [2, 3], [0, 1, math.nan, 3, 4, 5])
    case("nan_weight.safetensors", build(nan, META), "tensor '2.weight' element 2 is not finite")
    inf16 = base_tensors("F16")
    inf16[0] = ("0.weight", "F16", [3, 4], [0, 1, 2, 3, 4, math.inf, 6, 0, 1, 2, 3, 4])
    case("f16_inf_weight.safetensors", build(inf16, META), "tensor '0.weight' element 5 is not finite")
    nan16 = base_tensors("BF16")
    nan16[3] = ("2.bias", "BF16", [2], [0.25, math.nan])
    case("bf16_nan_weight.safetensors", build(nan16, META), "tensor '2.bias' element 1 is not finite")
    case("int32_weights.safetensors", build(base_tensors("I32"), META), "cannot hold model weights")
    case("metadata_not_string.safetensors", build(base_tensors(), {"format": "pt", "qsdr.spec": SPEC}), "__metadata__")
    case("no_spec.safetensors", build(base_tensors(), {"format": "pt"}), "no qsdr.spec")
    case("bad_spec.safetensors",
         build(base_tensors(), {"qsdr.spec": json.dumps({"input": [4], "layers": [{"type": "lstm", "out": 3}]})}),
         "unknown type `lstm`")
    # numbers outside every integer type in the metadata (the loader tested the range after the cast)
    def raw_spec(text):
        return build(base_tensors(), {"format": "pt", "qsdr.spec": text})
    case("spec_seed_inf.safetensors", raw_spec('{"input": [4], "seed": 1e999, "layers": [{"type": "relu"}]}'), "`seed` must be an integer")
    case("spec_input_huge.safetensors", raw_spec('{"input": [1e300], "layers": [{"type": "relu"}]}'), "`input` entries must be integers")
    case("spec_out_huge.safetensors", raw_spec('{"input": [4], "layers": [{"type": "linear", "out": -1e300}]}'), "`out` must be an integer")
    with open(os.path.join(BAD, "cases.txt"), "w") as f:
        f.write("# file|substring of the expected error (generated by ../make_files.py)\n")
        f.write("\n".join(cases) + "\n")


if __name__ == "__main__":
    main()
