"""The registries are the lists: every name a config can hold comes from a filter, weigher or driver."""

from __future__ import annotations

from dataclasses import fields

import pytest
from sched_helpers import host, request

from cloudlab.engine.scheduler import (
    DRIVER_NAMES,
    ERA_DEFAULT_FILTERS,
    FILTERS,
    MULTIPLIER_OPTIONS,
    WEIGHERS,
    ScenarioError,
    SchedulerConfig,
    parse_scheduler_config,
    schedule,
)


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_each_era_default_filter_is_a_filter_of_that_era(era: str) -> None:
    for name in ERA_DEFAULT_FILTERS[era]:  # type: ignore[index]
        assert name in FILTERS, name
        assert era in FILTERS[name].eras, name


def test_every_weigher_reads_a_multiplier_option_of_nova_conf() -> None:
    config_fields = {f.name: f.type for f in fields(SchedulerConfig)}
    for weigher in WEIGHERS.values():
        assert config_fields.get(weigher.multiplier_option) == "float", weigher.name


def test_every_multiplier_option_of_nova_conf_belongs_to_a_weigher() -> None:
    declared = [f.name for f in fields(SchedulerConfig) if f.name.endswith("_weight_multiplier")]
    assert tuple(declared) == MULTIPLIER_OPTIONS
    assert len(set(MULTIPLIER_OPTIONS)) == len(WEIGHERS)


@pytest.mark.parametrize("option", MULTIPLIER_OPTIONS)
def test_the_scheduler_section_reads_every_multiplier_option(option: str) -> None:
    assert getattr(parse_scheduler_config({option: 2.5}), option) == 2.5
    with pytest.raises(ScenarioError) as caught:
        parse_scheduler_config({option: "big"})
    assert caught.value.problems == [f"scheduler.{option}: must be a number, not 'big'"]


def test_only_the_soft_affinity_multipliers_refuse_a_negative_value() -> None:
    refused = []
    for option in MULTIPLIER_OPTIONS:
        try:
            parse_scheduler_config({option: -1})
        except ScenarioError as error:
            assert error.problems == [f"scheduler.{option}: must be ≥ 0 (Nova's minimum for this option)"]
            refused.append(option)
    assert refused == ["soft_affinity_weight_multiplier", "soft_anti_affinity_weight_multiplier"]


@pytest.mark.parametrize("driver", DRIVER_NAMES)
def test_every_driver_of_the_registry_runs_and_says_so(driver: str) -> None:
    trace = schedule([host("h1"), host("h2")], request(), SchedulerConfig(driver=driver))
    assert trace["driver"] == driver
    assert trace["selected_hosts"] in (["h1"], ["h2"])


def test_the_drivers_are_novas_three() -> None:
    assert DRIVER_NAMES == ("filter_scheduler", "chance_scheduler", "simple_scheduler")
