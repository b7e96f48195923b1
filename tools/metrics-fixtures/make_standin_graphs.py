#!/usr/bin/python3
"""Small stand-in ONNX graphs and PyTorch preprocessing references for @flexiffusion/metrics.

Run once with Debian's interpreter (onnx, numpy, torch):

    /usr/bin/python3 tools/metrics-fixtures/make_standin_graphs.py

It writes packages/metrics/test/fixtures/onnx/:

- fashion-standin.onnx: the Fashion feature network's interface. Input `image` [B,1,28,28];
  outputs `logits` [B,10], `features` [B,128] (2×2 average pool, flatten, Gemm(+ReLU)), and
  `echo` (the input itself, to check the preprocessing exactly).
- inception-standin.onnx: pytorch-fid Inception's interface. Input `images` [B,3,299,299];
  outputs `pool3` [B,2048,1,1] (global average pool then 1×1 conv) and `probe` (an 8×8 window
  of every channel, to check the bilinear resize exactly).
- clip-image-standin.onnx / clip-text-standin.onnx: CLIP's two encoders' interfaces. Image:
  `pixel_values` [B,3,224,224] → `image_embeds` [B,16]; text: `input_ids`, `attention_mask`
  int64 [B,8] → `text_embeds` [B,16] (masked mean of an embedding table).
- references.json: seeded inputs and the outputs expected after preprocessing them the PyTorch
  way (F.interpolate(..., align_corners=False), clamp, repeat, normalise), computed with torch and
  numpy from the same weights; and standalone F.interpolate references for the resize code.
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "metrics", "test", "fixtures", "onnx")
OPSET = 13
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def save(model, name):
    model.opset_import[0].version = OPSET
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name))


def fashion(rng):
    w_f = (rng.standard_normal((196, 128)) / 14).astype(np.float32)
    b_f = (0.1 * rng.standard_normal(128)).astype(np.float32)
    w_l = (rng.standard_normal((196, 10)) / 14).astype(np.float32)
    b_l = (0.1 * rng.standard_normal(10)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "w_f", "b_f"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["features"]),
        helper.make_node("Gemm", ["flat", "w_l", "b_l"], ["logits"]),
        helper.make_node("Identity", ["image"], ["echo"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fashion-standin",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["B", 1, 28, 28])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", 10]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", 128]),
            helper.make_tensor_value_info("echo", TensorProto.FLOAT, ["B", 1, 28, 28]),
        ],
        [numpy_helper.from_array(v, k) for k, v in (("w_f", w_f), ("b_f", b_f), ("w_l", w_l), ("b_l", b_l))],
    )
    save(helper.make_model(graph, producer_name="make_standin_graphs"), "fashion-standin.onnx")

    def run(x):  # x: preprocessed [B,1,28,28]
        pooled = x.reshape(x.shape[0], 1, 14, 2, 14, 2).mean(axis=(3, 5), dtype=np.float64)
        flat = pooled.reshape(x.shape[0], 196)
        return {
            "features": np.maximum(flat @ w_f + b_f, 0),
            "logits": flat @ w_l + b_l,
            "echo": x.reshape(x.shape[0], -1),
        }

    return run


def inception(rng):
    w = (rng.standard_normal((2048, 3, 1, 1)) * 0.5).astype(np.float32)
    b = (0.1 * rng.standard_normal(2048)).astype(np.float32)
    starts = numpy_helper.from_array(np.array([100, 150], dtype=np.int64), "starts")
    ends = numpy_helper.from_array(np.array([108, 158], dtype=np.int64), "ends")
    axes = numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["avg"]),
        helper.make_node("Conv", ["avg", "w", "b"], ["pool3"], kernel_shape=[1, 1]),
        helper.make_node("Slice", ["images", "starts", "ends", "axes"], ["probe"]),
    ]
    graph = helper.make_graph(
        nodes,
        "inception-standin",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["B", 3, 299, 299])],
        [
            helper.make_tensor_value_info("pool3", TensorProto.FLOAT, ["B", 2048, 1, 1]),
            helper.make_tensor_value_info("probe", TensorProto.FLOAT, ["B", 3, 8, 8]),
        ],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), starts, ends, axes],
    )
    save(helper.make_model(graph, producer_name="make_standin_graphs"), "inception-standin.onnx")

    def run(x):  # [B,3,299,299]
        m = x.astype(np.float64).mean(axis=(2, 3))  # [B,3]
        pool3 = m @ w[:, :, 0, 0].astype(np.float64).T + b
        return {"pool3": pool3, "probe": x[:, :, 100:108, 150:158].reshape(x.shape[0], -1)}

    return run


def clip(rng):
    w = (rng.standard_normal((48, 16)) / 7).astype(np.float32)
    table = rng.standard_normal((50, 16)).astype(np.float32)
    img_nodes = [
        helper.make_node("AveragePool", ["pixel_values"], ["pooled"], kernel_shape=[56, 56], strides=[56, 56]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["image_embeds"]),
    ]
    img = helper.make_graph(
        img_nodes,
        "clip-image-standin",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["B", 3, 224, 224])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["B", 16])],
        [numpy_helper.from_array(w, "w")],
    )
    save(helper.make_model(img, producer_name="make_standin_graphs"), "clip-image-standin.onnx")
    axes1 = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1")
    txt_nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["emb"], axis=0),  # [B,L,16]
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axes2"], ["mask3"]),  # [B,L,1]
        helper.make_node("Mul", ["emb", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axes1"], ["summed"], keepdims=0),  # [B,16]
        helper.make_node("ReduceSum", ["maskf", "axes1"], ["count"], keepdims=1),  # [B,1]
        helper.make_node("Div", ["summed", "count"], ["text_embeds"]),
    ]
    txt = helper.make_graph(
        txt_nodes,
        "clip-text-standin",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["B", "L"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["B", "L"]),
        ],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["B", 16])],
        [numpy_helper.from_array(table, "table"), axes1, numpy_helper.from_array(np.array([2], dtype=np.int64), "axes2")],
    )
    save(helper.make_model(txt, producer_name="make_standin_graphs"), "clip-text-standin.onnx")

    def run_img(x):
        pooled = x.reshape(x.shape[0], 3, 4, 56, 4, 56).mean(axis=(3, 5), dtype=np.float64)
        return pooled.reshape(x.shape[0], 48) @ w

    def run_txt(ids, mask):
        emb = table[ids].astype(np.float64) * mask[:, :, None]
        return emb.sum(axis=1) / mask.sum(axis=1, keepdims=True)

    return run_img, run_txt


def t(x):
    return torch.from_numpy(np.ascontiguousarray(x))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    refs = {"generator": "tools/metrics-fixtures/make_standin_graphs.py", "torch": torch.__version__}

    run_fashion = fashion(rng)
    x = rng.uniform(-1.2, 1.2, (3, 1, 32, 32)).astype(np.float32)
    pre = torch.clamp((t(x)[:, :, 2:30, 2:30] + 1) / 2, 0, 1).numpy()
    refs["fashion"] = {"input": x.ravel().tolist(), "dims": list(x.shape),
                       **{k: v.ravel().tolist() for k, v in run_fashion(pre).items()}}

    run_inception = inception(rng)
    x = rng.uniform(-1, 1, (2, 1, 28, 28)).astype(np.float32)
    y = torch.clamp((t(x) + 1) / 2, 0, 1)
    y = F.interpolate(y, size=(299, 299), mode="bilinear", align_corners=False)
    y = (y.repeat(1, 3, 1, 1) - 0.5) / 0.5
    refs["inception"] = {"input": x.ravel().tolist(), "dims": list(x.shape),
                         **{k: v.ravel().tolist() for k, v in run_inception(y.numpy()).items()}}

    run_img, run_txt = clip(rng)
    x = rng.uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    y = torch.clamp((t(x) + 1) / 2, 0, 1)
    y = F.interpolate(y, size=(224, 224), mode="bilinear", align_corners=False)
    y = (y - t(CLIP_MEAN)[None, :, None, None]) / t(CLIP_STD)[None, :, None, None]
    img_emb = run_img(y.numpy())
    ids = rng.integers(0, 50, (2, 8)).astype(np.int64)
    mask = np.array([[1] * 8, [1] * 5 + [0] * 3], dtype=np.int64)
    txt_emb = run_txt(ids, mask)
    cos = (img_emb * txt_emb).sum(1) / np.linalg.norm(img_emb, axis=1) / np.linalg.norm(txt_emb, axis=1)
    refs["clip"] = {"input": x.ravel().tolist(), "dims": list(x.shape), "input_ids": ids.ravel().tolist(),
                    "attention_mask": mask.ravel().tolist(), "image_embeds": img_emb.ravel().tolist(),
                    "text_embeds": txt_emb.ravel().tolist(), "score": (100 * np.maximum(cos, 0)).tolist()}

    resize = []
    for shape, size in (((1, 2, 7, 9), (13, 5)), ((2, 1, 32, 32), (28, 28)), ((1, 1, 5, 6), (17, 23)),
                        ((1, 3, 28, 28), (299, 299)), ((1, 1, 33, 31), (10, 12))):
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        case = {"input": x.ravel().tolist(), "dims": list(shape), "size": list(size)}
        for mode in ("bilinear", "nearest"):
            kw = {"align_corners": False} if mode == "bilinear" else {}
            out = F.interpolate(t(x), size=size, mode=mode, **kw).numpy()
            if shape[2] * size[0] > 2000:  # keep the JSON small: a strided sample of the large case
                case[mode + "_stride"] = 97
                out = out.ravel()[::97]
            case[mode] = out.ravel().tolist()
        resize.append(case)
    refs["resize"] = resize

    with open(os.path.join(OUT, "references.json"), "w") as fh:
        json.dump(refs, fh)
        fh.write("\n")
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))


if __name__ == "__main__":
    main()
