"""The pixel model's feature network (packages/model-fashion/model/features.onnx) as a PyTorch
module, rebuilt from the ONNX initializers (its training checkpoint is not in the repo; batch
norm is already folded into the convolutions there). Input image [N,1,28,28] in [0,1];
returns (logits [N,10], features [N,128])."""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "model-fashion", "model",
                       "features.onnx")


class OnnxFeatureNet(nn.Module):
    def __init__(self, path=DEFAULT):
        super().__init__()
        m = onnx.load(path)
        init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
        self.ops = []
        self.params = nn.ParameterList()
        for n in m.graph.node:
            if n.op_type in ("Conv", "Gemm"):
                w, b = init[n.input[1]], init[n.input[2]]
                self.params.append(nn.Parameter(w, requires_grad=False))
                self.params.append(nn.Parameter(b, requires_grad=False))
                self.ops.append((n.op_type, len(self.params) - 2, n.output[0], n.input[0]))
            else:
                self.ops.append((n.op_type, None, n.output[0], n.input[0]))
        self.outputs = [o.name for o in m.graph.output]

    def forward(self, image):
        env = {"image": image}
        for op, pi, out, inp in self.ops:
            x = env[inp]
            if op == "Conv":
                y = F.conv2d(x, self.params[pi], self.params[pi + 1], padding=1)
            elif op == "Gemm":
                y = F.linear(x, self.params[pi], self.params[pi + 1])
            elif op == "Relu":
                y = F.relu(x)
            elif op == "MaxPool":
                y = F.max_pool2d(x, 2)
            elif op == "GlobalAveragePool":
                y = x.mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = x.flatten(1)
            else:
                raise ValueError(op)
            env[out] = y
        return env["logits"], env["features"]
