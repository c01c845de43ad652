"""Admin → Scheduler: an instructor edits the cloud's nova.conf scheduler options.

The form only gathers values; the engine's ``parse_scheduler_config`` validates them exactly as a
scenario file's ``scheduler:`` section is validated, and its problems are shown by field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.models import Cloud, Host, Image
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.scheduler import (
    DRIVER_NAMES,
    FILTER_NAMES,
    MULTIPLIER_OPTIONS,
    WEIGHER_NAMES,
    ScenarioError,
    parse_scheduler_config,
)

from .access import instructor_project_or_404
from .values import typed

#: The nova.conf multiplier of every weigher, as the engine names it.
MULTIPLIERS = list(MULTIPLIER_OPTIONS)
INTEGERS = ["host_subset_size", "max_attempts", "max_instances_per_host", "max_io_ops_per_host", "max_cores", "seed"]
RATIOS = ["cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio"]


class SchedulerForm(forms.Form):
    """Raw values; numbers stay text so the engine reports "must be a number, not 'x'" itself."""

    era = forms.ChoiceField(
        label=gettext_lazy("Era"),
        choices=Cloud.Era.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    driver = forms.ChoiceField(
        label=gettext_lazy("Driver"),
        choices=[(d, d) for d in DRIVER_NAMES],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    weight_classes = forms.MultipleChoiceField(
        label=gettext_lazy("Weighers"),
        choices=[(w, w) for w in WEIGHER_NAMES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    isolated_hosts = forms.MultipleChoiceField(
        label=gettext_lazy("Isolated hosts"), required=False, widget=forms.CheckboxSelectMultiple
    )
    isolated_images = forms.MultipleChoiceField(
        label=gettext_lazy("Isolated images"), required=False, widget=forms.CheckboxSelectMultiple
    )
    restrict_isolated_hosts_to_isolated_images = forms.BooleanField(
        label="restrict_isolated_hosts_to_isolated_images", required=False
    )
    default_availability_zone = forms.CharField(label="default_availability_zone", max_length=64)

    def __init__(self, *args: Any, cloud: Cloud, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cloud = cloud
        host_names = Host.objects.filter(cloud=cloud).values_list("name", flat=True)
        self.fields["isolated_hosts"].choices = [(h, h) for h in host_names]
        self.fields["isolated_images"].choices = [
            (str(i.uuid), i.name) for i in Image.objects.filter(cloud=cloud, owner__isnull=True)
        ]
        for name in [*MULTIPLIERS, *INTEGERS]:
            self.fields[name] = forms.CharField(label=name, max_length=32)
        for name in RATIOS:
            self.fields[name] = forms.CharField(
                label=name,
                max_length=32,
                required=False,
                help_text=gettext_lazy("Sets every host's ratio; leave empty to keep each host's own."),
            )
        for name in FILTER_NAMES:
            self.fields[f"filter_{name}"] = forms.BooleanField(label=name, required=False)
            self.fields[f"order_{name}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=99,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "aria-label": name}),
            )

    def filter_rows(self) -> list[dict[str, Any]]:
        """Every filter, the enabled ones first in their order (as nova.conf lists them)."""
        rows = [{"name": n, "enabled": self[f"filter_{n}"], "order": self[f"order_{n}"]} for n in FILTER_NAMES]

        def position(row: dict[str, Any]) -> tuple[int, int]:
            order = row["order"].value()
            enabled = bool(row["enabled"].value())
            try:
                return (0 if enabled else 1, int(order) if enabled and order not in (None, "") else 99)
            except (TypeError, ValueError):
                return (0 if enabled else 1, 99)

        return sorted(rows, key=position)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [
            (data.get(f"order_{name}") or 99, index, name)
            for index, name in enumerate(FILTER_NAMES)
            if data.get(f"filter_{name}")
        ]
        section: dict[str, Any] = {
            "era": data.get("era"),
            "driver": data.get("driver"),
            "enabled_filters": [name for _order, _index, name in sorted(chosen)],
            "weight_classes": data.get("weight_classes", []),
            "isolated_hosts": data.get("isolated_hosts", []),
            "isolated_images": data.get("isolated_images", []),
            "restrict_isolated_hosts_to_isolated_images": data.get("restrict_isolated_hosts_to_isolated_images"),
            "default_availability_zone": data.get("default_availability_zone"),
            "image_properties_default_architecture": scheduler_config(self.cloud).image_properties_default_architecture,
        }
        for name in [*MULTIPLIERS, *INTEGERS]:
            section[name] = typed(data.get(name))
        try:
            self.config = parse_scheduler_config(
                section,
                host_names=Host.objects.filter(cloud=self.cloud).values_list("name", flat=True),
                image_ids=[str(u) for u in Image.objects.filter(cloud=self.cloud).values_list("uuid", flat=True)],
            )
        except ScenarioError as error:
            for problem in error.problems:
                self._add_problem(problem)
        self.ratios: dict[str, float] = {}
        for name in RATIOS:
            raw = (data.get(name) or "").strip()
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError:
                self.add_error(name, _("%(name)s must be a number, not '%(value)s'.") % {"name": name, "value": raw})
                continue
            if not value > 0 or value != value or value == float("inf"):
                self.add_error(name, _("%(name)s must be greater than 0.") % {"name": name})
                continue
            self.ratios[name] = value
        return data

    def _add_problem(self, problem: str) -> None:
        """``scheduler.enabled_filters[0]: unknown filter …`` → the field it is about."""
        match = re.match(r"^scheduler\.([a-z_]+)", problem)
        field = match.group(1) if match else None
        if field == "enabled_filters":
            field = None  # the filter table has no single field; show it above the form
        self.add_error(field if field in self.fields else None, problem)


def _show_number(value: Any) -> str:
    """1000000.0 → '1000000', 1.5 → '1.5' (never '1e+06' in a nova.conf value)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _initial(cloud: Cloud) -> dict[str, Any]:
    config = scheduler_config(cloud).to_dict()
    initial: dict[str, Any] = {k: v for k, v in config.items() if k != "enabled_filters"}
    initial["era"] = cloud.era
    for name in [*MULTIPLIERS, *INTEGERS]:
        initial[name] = _show_number(config[name])
    for position, name in enumerate(config["enabled_filters"], start=1):
        initial[f"filter_{name}"] = True
        initial[f"order_{name}"] = position
    for name in RATIOS:
        values = set(Host.objects.filter(cloud=cloud).values_list(name, flat=True))
        initial[name] = _show_number(values.pop()) if len(values) == 1 and None not in values else ""
    return initial


@login_required
def scheduler_settings(request: HttpRequest) -> HttpResponse:
    project = instructor_project_or_404(request)
    cloud = project.cloud
    if request.method == "POST":
        form = SchedulerForm(request.POST, cloud=cloud)
        if form.is_valid():
            changes = do_update_scheduler(request.user, cloud, form.config, form.ratios)
            if changes:
                messages.success(request, _("Saved. The next scheduling request uses the new settings."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("dashboard:scheduler-settings")
    else:
        form = SchedulerForm(initial=_initial(cloud), cloud=cloud)
    return render(request, "dashboard/scheduler_settings.html", {"form": form, "cloud": cloud})
