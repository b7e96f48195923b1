"""Write packages/model-fashion/model/model.json from the exported files and the training records.

    python3 tools/model-fashion/make_manifest.py --workdir tools/model-fashion/checkpoints --out packages/model-fashion/model
"""
import argparse
import json
import os

from common import (BETA_END, BETA_START, CLASS_NAMES, NUM_CLASSES, TRAIN_TIMESTEPS, UNCOND_LABEL,
                    dataset_provenance, sha256_file)

RECIPE = [
    "python3 tools/model-fashion/train_classifier.py --epochs 6 --threads 1",
    # the UNet run was resumed three times with a changed total (the LR schedule spans --steps);
    # these four commands replay it exactly (data order and noise come from the checkpointed RNG)
    "python3 tools/model-fashion/train_unet.py --steps 2200 --stop-at 200",
    "python3 tools/model-fashion/train_unet.py --steps 1800 --stop-at 450",
    "python3 tools/model-fashion/train_unet.py --steps 2200 --stop-at 800",
    "python3 tools/model-fashion/train_unet.py --steps 1600",
    "python3 tools/model-fashion/export.py --out packages/model-fashion/model",
    "python3 tools/model-fashion/make_manifest.py --out packages/model-fashion/model",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), "checkpoints"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--guidance", type=float, default=2.0)
    args = ap.parse_args()
    with open(os.path.join(args.out, "export.json")) as f:
        exp = json.load(f)
    with open(os.path.join(args.workdir, "unet-train.json")) as f:
        unet_train = json.load(f)
    with open(os.path.join(args.workdir, "classifier-train.json")) as f:
        cls_train = json.load(f)

    def sha(name):
        return sha256_file(os.path.join(args.out, name))

    cache = exp["unet"]["cacheTensors"]
    manifest = {
        "format": 1,
        "name": "fashion",
        "family": "class-conditional",
        "description": "Class-conditional DDPM UNet trained on Fashion-MNIST (28x28 padded to 32x32), "
                       "with a Fashion-MNIST CNN whose penultimate layer is the FID feature space.",
        "unet": {
            "file": "unet.onnx",
            "sha256": sha("unet.onnx"),
            "inputs": {"sample": "sample", "timestep": "timestep", "classLabels": "class_labels"},
            "output": "noise_pred",
            "sampleShape": [1, 32, 32],
            "prediction": "epsilon",
            "cache": [{"branch": int(b), "tensor": cache[b]} for b in sorted(cache, key=int)],
        },
        "scheduler": {"trainTimesteps": TRAIN_TIMESTEPS, "betaSchedule": "linear",
                      "betaStart": BETA_START, "betaEnd": BETA_END},
        "conditioning": {"numClasses": NUM_CLASSES, "unconditionalLabel": UNCOND_LABEL,
                         "classNames": CLASS_NAMES, "defaultGuidanceScale": args.guidance},
        "image": {"range": [-1, 1], "crop": {"top": 2, "left": 2, "height": 28, "width": 28}},
        "featureNetwork": {"file": "features.onnx", "sha256": sha("features.onnx"), "input": "image",
                           "features": "features", "logits": "logits", "dim": exp["features"]["featureDim"]},
        "referenceStats": {"file": "test-stats.bin", "sha256": sha("test-stats.bin"), "count": 10000,
                           "description": "feature-network statistics (float64 mean, covariance; float32 features) "
                                          "of the 10,000 Fashion-MNIST test images, @flexiffusion/metrics format"},
        "testSample": {"file": "test-sample.u8", "sha256": sha("test-sample.u8"),
                       "count": exp["features"]["testSample"]["count"], "shape": [28, 28], "dtype": "uint8",
                       "labels": exp["features"]["testSample"]["labels"],
                       "indices": exp["features"]["testSample"]["indices"],
                       "description": "the first 10 test images of each class, raw uint8 pixels"},
        "provenance": {
            "dataset": {"name": "Fashion-MNIST (Debian package dataset-fashion-mnist)",
                        "files": dataset_provenance()},
            "unet": {**unet_train, "ema": True, "architecture": "UNet2DModel channels (32, 64, 128), "
                     "one resnet per level, attention in the 8x8 mid block; v-prediction converted to "
                     "epsilon in the graph", "betas": "linear 1e-4..0.02, 1000 steps", "objective": "MSE on v",
                     "lrSchedule": "linear warm-up 200 steps, cosine to 10%"},
            "featureNetwork": cls_train,
            "exportedFromStep": exp["unet"]["trainStep"],
            "opset": 17,
            "recipe": RECIPE,
            "tools": "torch 1.13 (Debian python3-torch), onnx 1.12",
        },
    }
    tmp = os.path.join(args.out, "model.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(args.out, "model.json"))
    print("wrote", os.path.join(args.out, "model.json"))


if __name__ == "__main__":
    main()
