"""AvailabilityZoneFilter is classic-only now (Nova removed it in 2023.2; the placement era's
``map_az_to_placement_aggregate`` request filter does its work), so a placement-era cloud whose
saved settings still name it would be refused when read: take it out of their enabled_filters.
The requested zone still binds, through the request filter."""

from typing import Any

from django.db import migrations

REMOVED = "AvailabilityZoneFilter"


def without_az_filter(apps: Any, schema_editor: Any) -> None:
    Cloud = apps.get_model("compute", "Cloud")
    for cloud in Cloud.objects.filter(era="placement"):
        config = dict(cloud.scheduler_config or {})
        filters = config.get("enabled_filters")
        if isinstance(filters, list) and REMOVED in filters:
            config["enabled_filters"] = [name for name in filters if name != REMOVED]
            cloud.scheduler_config = config
            cloud.save(update_fields=["scheduler_config"])


class Migration(migrations.Migration):
    dependencies = [("compute", "0009_scheduling_record_instance_index")]

    operations = [migrations.RunPython(without_az_filter, migrations.RunPython.noop)]
