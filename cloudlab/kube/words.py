"""The controllers' sentences for the pages: every ``N_("…")`` template of the engine's
controllers (read once from their source), translated into the reader's language, so kube.js
can render a live ``kube.changed`` action ("desired {desired}, actual {actual}: create {pod}")
and the reasons inside it ("UID order") in Chinese as well as English."""

from __future__ import annotations

import ast
import importlib
import inspect
from functools import cache

from django.utils.translation import gettext

CONTROLLER_MODULES = ("deployment", "endpoints", "gc", "nodelifecycle", "replicaset")


@cache
def controller_templates() -> tuple[str, ...]:
    found: list[str] = []
    for name in CONTROLLER_MODULES:
        module = importlib.import_module(f"cloudlab.engine.kubernetes.controllers.{name}")
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return tuple(dict.fromkeys(found))


def translated_templates() -> dict[str, str]:
    """English template → the reader's language (only those the catalogue translates)."""
    out = {}
    for template in controller_templates():
        text = gettext(template)
        if text != template:
            out[template] = text
    return out
