"""Admin → Scheduler: an instructor edits the cloud's nova.conf scheduler options.

The form only gathers values; the engine's ``parse_scheduler_config`` validates them exactly as a
scenario file's ``scheduler:`` section is validated, and its problems are shown by field, in the
page's words and the reader's language. Switching the era offers that era's defaults (the page
fills them in from ``era_offers``); two filters at one position are refused.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext

from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.models import Cloud, Host, Image
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.resources import ERA_DEFAULT_RATIOS, ERAS
from cloudlab.engine.scheduler import (
    CLASSIC_ONLY_FILTERS,
    DRIVER_NAMES,
    ERA_DEFAULT_FILTERS,
    ERA_DEFAULT_WEIGHERS,
    FILTER_NAMES,
    FILTERS,
    MULTIPLIER_OPTIONS,
    WEIGHER_NAMES,
    ScenarioError,
    parse_scheduler_config,
)
from cloudlab.engine.scheduler.checks import MAX_MAGNITUDE

from .access import instructor_project_or_404
from .values import typed

#: The nova.conf multiplier of every weigher, as the engine names it.
MULTIPLIERS = list(MULTIPLIER_OPTIONS)
INTEGERS = ["host_subset_size", "max_attempts", "max_instances_per_host", "max_io_ops_per_host", "max_cores", "seed"]
RATIOS = ["cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio"]


def _field_separator() -> str:
    """Between a field's name and its problem: ": ", a full-width colon in Chinese (the template's
    list above the form uses the same words)."""
    return pgettext("between a field and its error", ": ")


def _breakable(name: str) -> str:
    """A filter's name that may wrap between its words only (AggregateInstance<wbr>ExtraSpecsFilter),
    so the filter table fits a 1024 px screen in either language."""
    return mark_safe(re.sub(r"([a-z])([A-Z])", r"\1<wbr>\2", escape(name)))  # noqa: S308 - escaped first


_NO_SPACE = RegexValidator(r"^\S*$", gettext_lazy("Enter it without spaces."))

#: The options of AggregateImagePropertiesIsolation, in the order the page shows them.
ISOLATION_OPTIONS = ["aggregate_image_properties_isolation_namespace", "aggregate_image_properties_isolation_separator"]


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
    # AggregateImagePropertiesIsolation's two options (nova.conf [filter_scheduler]).
    aggregate_image_properties_isolation_namespace = forms.CharField(
        label=gettext_lazy("Namespace"),
        max_length=64,
        required=False,
        validators=[_NO_SPACE],
        help_text=gettext_lazy(
            "Compare only the aggregate keys that start with the namespace and the separator; "
            "leave empty to compare every key."
        ),
    )
    aggregate_image_properties_isolation_separator = forms.CharField(
        label=gettext_lazy("Separator"),
        max_length=8,
        strip=False,
        validators=[_NO_SPACE],
        help_text=gettext_lazy("Between the namespace and the rest of a key (Nova's default is a full stop: “.”)."),
    )

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
                label=name,
                required=False,
                min_value=1,
                max_value=99,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "aria-label": name}),
            )

    isolation_options = ISOLATION_OPTIONS

    def filter_rows(self) -> list[dict[str, Any]]:
        """Every filter, the enabled ones first in their order (as nova.conf lists them)."""
        shared = getattr(self, "shared_positions", set())
        rows = [
            {
                "name": n,
                "name_html": _breakable(n),
                "enabled": self[f"filter_{n}"],
                "order": self[f"order_{n}"],
                "shared": n in shared,
            }
            for n in FILTER_NAMES
        ]

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
        self._refuse_shared_positions(data)
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
            "aggregate_image_properties_isolation_namespace": data.get(ISOLATION_OPTIONS[0]) or None,
            "aggregate_image_properties_isolation_separator": data.get(ISOLATION_OPTIONS[1]),
            "image_properties_default_architecture": _saved_config(self.cloud)["image_properties_default_architecture"],
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
            value = typed(raw)  # ASCII digits only: float() would read '١' and 'nan'
            if isinstance(value, str) or isinstance(value, bool):
                self.add_error(name, _("Enter a number."))
                continue
            if not value > 0:
                self.add_error(name, _("Enter a number greater than 0."))
                continue
            if value > MAX_MAGNITUDE:
                self.add_error(
                    name,
                    _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": MAX_MAGNITUDE},
                )
                continue
            self.ratios[name] = value
        return data

    def _refuse_shared_positions(self, data: dict[str, Any]) -> None:
        """Two enabled filters at one position: nova.conf is a list, so the page cannot tell
        which runs first; ask instead of guessing."""
        at: dict[int, list[str]] = {}
        self.shared_positions: set[str] = set()
        for name in FILTER_NAMES:
            order = data.get(f"order_{name}")
            if data.get(f"filter_{name}") and order is not None:
                at.setdefault(order, []).append(name)
        for position, names in sorted(at.items()):
            if len(names) < 2:
                continue
            message = _("%(filters)s are all at position %(position)d. Give each enabled filter its own position.")
            problem = message % {"filters": ", ".join(names), "position": position}
            self.add_error(None, "enabled_filters" + _field_separator() + problem)
            self.shared_positions.update(names)

    def _add_problem(self, problem: str) -> None:
        """``scheduler.max_attempts: must be a positive integer`` → under the max_attempts field,
        in the reader's language; a filter's problem goes above the form, naming the filter."""
        path, _sep, message = problem.partition(": ")
        match = re.match(r"^scheduler\.([a-z_]+)", path)
        key = match.group(1) if match else ""
        text = page_words(message)
        if key in self.fields and key != "enabled_filters":
            self.add_error(key, text)
        else:
            self.add_error(None, key + _field_separator() + text if key else text)

    def error_list(self) -> list[dict[str, str]]:
        """Every problem, each with the field it is about as the page labels it (for the list
        above the form; the field shows its own too)."""
        found = [{"field": "", "label": "", "message": str(e)} for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name == "__all__":
                continue
            field = self[name]
            found += [{"field": field.id_for_label, "label": str(field.label), "message": str(e)} for e in errors]
        return found


#: How the engine words a problem (``engine/scheduler/checks.py``, ``sections/nova_conf.py``) and
#: how this page says it, in the reader's language: Django's own form messages where one says it
#: (their msgids are Django's, translated in its catalogues), the page's sentences otherwise. A
#: message no pattern matches is shown as the engine wrote it.
_AT_LEAST = gettext_noop("Ensure this value is greater than or equal to %(limit_value)s.")
_ENGINE_WORDS: tuple[tuple[re.Pattern[str], str, dict[str, str]], ...] = (
    (re.compile(r"^must be (?:a positive|a non-negative|an) integer(?: ≥ -?\d+)?, not "), "Enter a whole number.", {}),
    (re.compile(r"^must be a positive integer$"), _AT_LEAST, {"limit_value": "1"}),
    (re.compile(r"^must be a non-negative integer$"), _AT_LEAST, {"limit_value": "0"}),
    (re.compile(r"^must be an integer ≥ (?P<limit_value>-?\d+)$"), _AT_LEAST, {}),
    (re.compile(r"^must be a (?:positive )?number, not "), "Enter a number.", {}),
    (re.compile(r"^must be ≥ (?P<limit_value>\S+) \(Nova's minimum for this option\)$"), _AT_LEAST, {}),
    (
        re.compile(r"^(?P<name>\w+) was removed from Nova in (?P<release>[^;]+);"),
        gettext_noop(
            "%(name)s was removed from Nova in %(release)s: in the placement era %(replaced_by)s. "
            "Untick it, or choose the classic era."
        ),
        {},
    ),
    (re.compile(r"^(?P<name>\w+) is listed twice$"), gettext_noop("%(name)s is listed twice."), {}),
    (
        re.compile(r"^unknown (?:filter|weigher|host|image id) (?P<value>'[^']*')"),
        gettext_noop("%(value)s does not exist in this cloud."),
        {},
    ),
    (re.compile(r"^must be a non-empty string"), "This field is required.", {}),
)


def page_words(message: str) -> str:
    """The engine's English problem (without its path) as the page says it."""
    for pattern, words, fixed in _ENGINE_WORDS:
        match = pattern.search(message)
        if match is not None:
            values = {**fixed, **match.groupdict()}
            if "release" in values:  # a classic-only filter: what does its work now, in the reader's words
                values["replaced_by"] = _(FILTERS[values["name"]].replaced_by)
            return _(words) % values if values else _(words)
    return message


def _show_number(value: Any) -> str:
    """1000000.0 → '1000000', 1.5 → '1.5' (never '1e+06' in a nova.conf value)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stale_filters(cloud: Cloud) -> list[str]:
    """The filters the cloud's saved settings enable that its era does not have (a placement-era
    cloud saved before AvailabilityZoneFilter became classic-only, or whose era was changed
    elsewhere): the page leaves them out and says so, rather than failing to read the settings."""
    if cloud.era != "placement":
        return []
    saved = (cloud.scheduler_config or {}).get("enabled_filters") or []
    return [name for name in saved if name in CLASSIC_ONLY_FILTERS]


def _saved_config(cloud: Cloud) -> dict[str, Any]:
    stale = stale_filters(cloud)
    if not stale:
        return scheduler_config(cloud).to_dict()
    saved = dict(cloud.scheduler_config)
    saved["enabled_filters"] = [name for name in saved["enabled_filters"] if name not in stale]
    return parse_scheduler_config({**saved, "era": cloud.era}).to_dict()


def _initial(cloud: Cloud) -> dict[str, Any]:
    config = _saved_config(cloud)
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


def era_offers(cloud: Cloud, initial: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the form is filled with when the era select changes: for the cloud's own era its
    saved settings, for another era that era's defaults (filters in order, weighers, allocation
    ratios), each with the sentence saying so. Nothing is saved until the form is."""
    labels = dict(Cloud.Era.choices)
    offers: dict[str, dict[str, Any]] = {}
    for era in ERAS:
        if era == cloud.era:
            offers[era] = {
                "filters": [n for n in FILTER_NAMES if initial.get(f"filter_{n}")],
                "orders": {n: initial[f"order_{n}"] for n in FILTER_NAMES if initial.get(f"filter_{n}")},
                "weighers": list(initial.get("weight_classes", [])),
                "ratios": {name: initial.get(name, "") for name in RATIOS},
                "notice": _("Filled in again with this cloud's saved settings (era: %(era)s).") % {"era": labels[era]},
            }
            continue
        ratios = ERA_DEFAULT_RATIOS[era]
        filters = list(ERA_DEFAULT_FILTERS[era])
        offers[era] = {
            "filters": filters,
            "orders": {n: i for i, n in enumerate(filters, start=1)},
            "weighers": list(ERA_DEFAULT_WEIGHERS[era]),
            "ratios": {
                "cpu_allocation_ratio": _show_number(ratios.cpu),
                "ram_allocation_ratio": _show_number(ratios.ram),
                "disk_allocation_ratio": _show_number(ratios.disk),
            },
            "notice": _(
                "Filled in with the defaults of the era %(era)s: its filters in their order, its weighers and "
                "its allocation ratios. Nothing is saved until you press Save."
            )
            % {"era": labels[era]},
        }
    return offers


def _page_data(cloud: Cloud, initial: dict[str, Any]) -> dict[str, Any]:
    return {
        "era_offers": era_offers(cloud, initial),
        # The filters nova_conf refuses in the placement era, each with the page's reason why.
        "classic_only": {
            name: _("Removed from Nova in %(release)s: the placement era does not have it (%(replaced_by)s).")
            % {"release": FILTERS[name].removed_in, "replaced_by": _(FILTERS[name].replaced_by)}
            for name in sorted(CLASSIC_ONLY_FILTERS)
        },
    }


@login_required
def scheduler_settings(request: HttpRequest) -> HttpResponse:
    project = instructor_project_or_404(request)
    cloud = project.cloud
    initial = _initial(cloud)
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
        form = SchedulerForm(initial=initial, cloud=cloud)
        stale = stale_filters(cloud)
        if stale:
            messages.warning(
                request,
                _(
                    "The saved settings enable %(filters)s, which the placement era does not have: they are left "
                    "out below. Save to keep the settings without them."
                )
                % {"filters": ", ".join(stale)},
            )
    return render(
        request,
        "dashboard/scheduler_settings.html",
        {"form": form, "cloud": cloud, "page": _page_data(cloud, initial)},
    )
