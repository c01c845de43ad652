"""Learn → Hosted vs Bare-Metal: the two layer stacks side by side, a guest's operation stepped
down each (``stacks.js`` animates the steps of ``stacks_model``), and the seed's comparison with
its figures, each with its source and status."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cloudlab.engine import architectures as cited
from cloudlab.engine.i18n import fmt_number

from . import stacks_model as model


def _figure(ref: model.FigureRef, point: str) -> dict[str, Any]:
    """A number of the cited model as the comparison shows it: the value as its source states
    it (≥ 0.99), what it measures, its sources, its status tag and what that means, its note."""
    figure = cited.figure(ref.kind, ref.metric)
    if figure.value is not None:
        value = f"{figure.qualifier} {fmt_number(float(figure.value))}".strip()
    else:
        value = _(figure.text)
    return {
        "id": f"figure-{point}-{ref.kind}-{ref.metric}",
        "key": f"{ref.kind}.{ref.metric}",
        "value": value,
        "short": _(ref.short),
        "label": _("%(metric)s, %(kind)s")
        % {"metric": _(cited.METRICS[ref.metric].label), "kind": _(cited.profile(ref.kind).label)},
        "sources": [source.citation for source in figure.citations],
        "status": figure.status,
        "status_label": _("status %(tag)s") % {"tag": figure.status},
        "status_meaning": _(cited.STATUSES[figure.status]),
        "caveat": _(figure.note) if figure.note else "",
    }


def _caveats(comparison: list[dict[str, Any]]) -> list[str]:
    """Each figure's caveat once, with the figures it holds for (shown under the table)."""
    caveats: dict[str, list[str]] = {}
    for point in comparison:
        for cell in point["cells"]:
            for figure in cell["figures"]:
                if figure["caveat"]:
                    caveats.setdefault(figure["caveat"], []).append(figure["value"])
    return [
        _("%(values)s: %(caveat)s") % {"values": _(", ").join(values), "caveat": text}
        for text, values in caveats.items()
    ]


def _stack(stack: model.Stack) -> dict[str, Any]:
    layers = [
        {"id": layer.id, "name": _(layer.name), "examples": _(layer.examples), "beside": layer.beside}
        for layer in stack.layers
    ]
    # Drawn top to bottom, a layer with ``beside`` in the row of the one it stands next to.
    rows = [[layer] for layer in layers if not layer["beside"]]
    for layer in layers:
        if layer["beside"]:
            next(row for row in rows if row[0]["id"] == layer["beside"]).append(layer)
    return {
        "id": stack.id,
        "name": _(stack.name),
        "short": _(stack.short),
        "summary": _(stack.summary),
        "rows": rows,
    }


def _operation(operation: model.Operation) -> dict[str, Any]:
    added = set(model.added_steps(operation))
    paths = {}
    for stack_id, steps in operation.paths.items():
        stack = model.STACKS[stack_id]
        paths[stack_id] = [
            {
                "layer": step.layer,
                "layer_name": _(stack.layer(step.layer).name),
                "title": _(step.title),
                "detail": _(step.detail),
                "world_switch": step.world_switch,
                "added": stack_id == model.HOSTED and index in added,
            }
            for index, step in enumerate(steps)
        ]
    hosted = model.STACKS[model.HOSTED]
    switches = sum(step.world_switch for step in operation.paths[model.HOSTED])
    comparison = ngettext(
        "Hosted: %(hosted)s hops; bare-metal: %(bare)s hops. The hosted path adds: %(layers)s, and %(switches)s "
        "world switch.",
        "Hosted: %(hosted)s hops; bare-metal: %(bare)s hops. The hosted path adds: %(layers)s, and %(switches)s "
        "world switches.",
        switches,
    ) % {
        "hosted": model.hop_count(operation, model.HOSTED),
        "bare": model.hop_count(operation, model.BARE_METAL),
        "layers": _(", ").join(_(hosted.layer(layer).name) for layer in model.added_layers(operation)),
        "switches": switches,
    }
    return {
        "id": operation.id,
        "name": _(operation.name),
        "summary": _(operation.summary),
        "paths": paths,
        "hops": {stack_id: model.hop_count(operation, stack_id) for stack_id in operation.paths},
        "added_layers": [_(hosted.layer(layer).name) for layer in model.added_layers(operation)],
        "world_switches": switches,
        "comparison": comparison,
    }


def _point(point: model.Point) -> dict[str, Any]:
    show = point.show
    return {
        "id": point.id,
        "criterion": _(point.criterion),
        "favours": point.favours,
        "cells": [
            {
                "stack": stack_id,
                "text": _(text),
                "favoured": point.favours == stack_id,
                "figures": [_figure(ref, point.id) for ref in point.figures.get(stack_id, ())],
            }
            for stack_id, text in ((model.HOSTED, point.hosted), (model.BARE_METAL, point.bare_metal))
        ],
        "show": {
            "operation": show.operation,
            "step": show.step,
            "added": show.added,
            "layers": {stack_id: list(layers) for stack_id, layers in show.layers.items()},
            "explanation": _(show.explanation),
            "note": _("%(criterion)s: %(explanation)s")
            % {"criterion": _(point.criterion), "explanation": _(show.explanation)},
        },
    }


def _words() -> dict[str, str]:
    """The sentences the script fills in (``%(name)s`` fields)."""
    return {
        "start": _("Start"),
        "hop": _("hop %(n)s of %(total)s"),
        "arrived": _("At the hardware after %(total)s hops."),
        "narration": _("%(stack)s, %(position)s, %(layer)s: %(title)s. %(detail)s"),
        "play": _("Play"),
        "pause": _("Pause"),
        "world_switch": _("world switch"),
        "added": _("added by the hosted path"),
    }


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    stacks = [_stack(model.STACKS[model.HOSTED]), _stack(model.STACKS[model.BARE_METAL])]
    operations = [_operation(operation) for operation in model.OPERATIONS.values()]
    comparison = [_point(point) for point in model.COMPARISON]
    return render(
        request,
        "architectures/stacks.html",
        {
            "stacks": stacks,
            "operations": operations,
            "comparison": comparison,
            "caveats": _caveats(comparison),
            "binary_translation": _(model.BINARY_TRANSLATION),
            "page": {
                "stacks": {stack["id"]: stack for stack in stacks},
                "operations": operations,
                "comparison": {point["id"]: point for point in comparison},
                "words": _words(),
            },
        },
    )


urlpatterns = [path("learn/hypervisors/", page, name="hosted-vs-bare-metal")]
