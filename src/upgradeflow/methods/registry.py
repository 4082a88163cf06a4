"""The benchmark's methods by name, ablations included, so ``--methods`` can pick any
mix and every variant is one line here rather than a branch in the runner."""

from __future__ import annotations

from dataclasses import dataclass, replace

from upgradeflow.errors import UserInputError, check_choice
from upgradeflow.methods.dmu import DMUConfig
from upgradeflow.methods.sfsc import SFSCConfig


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # old | independent | bct | dmu | sfsc | lambda-orthogonal (heads on a pretrained backbone)
    summary: str
    dmu: DMUConfig | None = None
    sfsc: SFSCConfig | None = None
    bct_lambda: float = 1.0  # weight of BCT's influence loss (kind "bct" only)

    def config(self) -> dict:
        if self.dmu is not None:
            return self.dmu.to_dict()
        if self.sfsc is not None:
            return self.sfsc.to_dict()
        if self.kind == "bct":
            return {"lambda_bc": self.bct_lambda}
        return {}


DMU = DMUConfig()
SFSC = SFSCConfig()
# The architecture the width-0.25 variants below were tried on, before the full-channel
# last layer became the default; kept so their recorded results reproduce.
SLICED = replace(SFSC, full_width_output=False)

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("old", "old", "the old model on its own identities"),
        Method("independent", "independent", "new model, classification loss only"),
        Method("bct", "bct", "new model + influence loss through the frozen old classifier"),
        Method("dmu", "dmu", "selective compatibility (posterior weights) + joint forward adapter", dmu=DMU),
        Method(
            "lambda-orthogonal",
            "lambda-orthogonal",
            "an affine head held near orthogonal + influence loss (heads on a pretrained backbone only)",
        ),
        Method(
            "dmu-uniform", "dmu", "ablation: weights off (BCT + joint adapter)", dmu=replace(DMU, weighting="uniform")
        ),
        Method("dmu-noadapter", "dmu", "ablation: adapter off", dmu=replace(DMU, adapter=False)),
        Method("dmu-entropy", "dmu", "ablation: 1 - normalised entropy weights", dmu=replace(DMU, weighting="entropy")),
        Method("dmu-margin", "dmu", "ablation: prototype-margin weights", dmu=replace(DMU, weighting="margin")),
        Method(
            "dmu-evolvable",
            "dmu",
            "variant: the adapter loss also trains the new model",
            dmu=replace(DMU, adapter_shapes_new=True),
        ),
        Method(
            "dmu-contrastive",
            "dmu",
            "ablation: new-to-old contrastive compatibility loss",
            dmu=replace(DMU, compat_loss="contrastive"),
        ),
        *(
            Method(
                f"dmu-t{temperature:g}",
                "dmu",
                f"variant: posterior weights at temperature {temperature:g} (flatter than the default's)",
                dmu=replace(DMU, weight_temperature=temperature),
            )
            for temperature in (0.2, 1.0)
        ),
        Method(
            "dmu-samplemean",
            "dmu",
            "variant: weighted compatibility loss averaged over the batch, not the weights",
            dmu=replace(DMU, normalisation="samples"),
        ),
        Method(
            "sfsc",
            "sfsc",
            "switchable widths, equal loss weights, per-tensor gradient projection, in-place distillation, BCT loss",
            sfsc=SFSC,
        ),
        Method(
            "sfsc-uncertainty",
            "sfsc",
            "ablation: learned uncertainty loss weights instead of equal ones",
            sfsc=replace(SFSC, uncertainty_weighting=True),
        ),
        Method(
            "sfsc-noprojection",
            "sfsc",
            "ablation: no gradient projection",
            sfsc=replace(SFSC, gradient_projection=False),
        ),
        Method(
            "sfsc-nodistillation",
            "sfsc",
            "ablation: no pull of narrow widths towards the full width",
            sfsc=replace(SFSC, distillation=0.0),
        ),
        Method(
            "sfsc-slicedoutput",
            "sfsc",
            "ablation: the last layer sliced to each width like the others (the earlier default)",
            sfsc=SLICED,
        ),
        *(
            Method(
                f"sfsc-distill{weight:g}",
                "sfsc",
                f"variant, sliced last layer: pull towards the full width weighted {weight:g}",
                sfsc=replace(SLICED, distillation=weight),
            )
            for weight in (4.0, 16.0)
        ),
        Method(
            "sfsc-crosswidth",
            "sfsc",
            "variant, sliced last layer: plus an InfoNCE pick of the full width's embedding of the same image",
            sfsc=replace(SLICED, cross_width_contrastive=1.0),
        ),
        Method(
            "sfsc-crosswidth-only",
            "sfsc",
            "variant, sliced last layer: the InfoNCE pick instead of the cosine pull",
            sfsc=replace(SLICED, cross_width_contrastive=1.0, distillation=0.0),
        ),
        Method(
            "sfsc-privateheads",
            "sfsc",
            "variant, sliced last layer: each narrower width has its own embedding head",
            sfsc=replace(SLICED, private_heads=True),
        ),
        Method(
            "sfsc-privateheads-distill4",
            "sfsc",
            "variant, sliced last layer: own heads and the pull towards the full width weighted 4",
            sfsc=replace(SLICED, private_heads=True, distillation=4.0),
        ),
    )
}

# Compatibility weights λ for mapping each method's new/old against new/new trade-off:
# a DMU variant only beats BCT if it lies above BCT's own λ curve.
TRADE_OFF_LAMBDAS = (0.5, 0.75, 1.5, 2.0)


def with_compat_weight(method: Method, weight: float) -> Method:
    """``method`` with its compatibility loss weighted ``weight`` (λ), named ``<name>-l<λ>``."""
    name, summary = (
        f"{method.name}-l{weight:g}",
        f"variant: {method.name} with the compatibility loss weighted {weight:g}",
    )
    if method.kind == "bct":
        return replace(method, name=name, summary=summary, bct_lambda=weight)
    return replace(method, name=name, summary=summary, dmu=replace(method.dmu, lambda_bc=weight))


METHODS |= {
    variant.name: variant
    for base in ("bct", "dmu-t0.2", "dmu-margin")
    for variant in (with_compat_weight(METHODS[base], weight) for weight in TRADE_OFF_LAMBDAS)
}


def parse_methods(text: str) -> list[Method]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise UserInputError(f"no method named in {text!r} (choose from: {', '.join(METHODS)})")
    return [METHODS[check_choice("method", name, METHODS)] for name in names]
