from django.contrib import admin

from .models import Aggregate, Cloud, Flavor, Host, Image, Instance, InstanceAction, InstanceActionEvent


@admin.register(Cloud)
class CloudAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "era", "pace", "network_cidr"]


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "cloud",
        "hypervisor_type",
        "architecture",
        "vcpus",
        "memory_mb",
        "local_gb",
        "vcpus_used",
        "memory_mb_used",
        "local_gb_used",
        "enabled",
        "up",
    ]
    list_filter = ["cloud", "architecture", "enabled", "up"]
    # Usage changes only through claims; ``manage.py audit`` checks it against the instances.
    readonly_fields = ["vcpus_used", "memory_mb_used", "local_gb_used"]


@admin.register(Aggregate)
class AggregateAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "availability_zone"]


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ["flavorid", "name", "cloud", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap", "is_public"]
    list_filter = ["cloud"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "uuid", "disk_format", "size_mb", "min_ram", "min_disk", "owner", "status"]
    list_filter = ["cloud"]


class InstanceActionEventInline(admin.TabularInline):
    model = InstanceActionEvent
    extra = 0


@admin.register(InstanceAction)
class InstanceActionAdmin(admin.ModelAdmin):
    list_display = ["action", "instance", "request_id", "user", "start_time", "finish_time", "message"]
    inlines = [InstanceActionEventInline]


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "uuid",
        "project",
        "host",
        "vm_state",
        "task_state",
        "power_state",
        "fixed_ip",
        "created_at",
    ]
    list_filter = ["cloud", "vm_state"]
    search_fields = ["name", "uuid"]
    # States move only through actions (the lifecycle rules); the admin is for reading them.
    readonly_fields = ["vm_state", "task_state", "power_state", "host", "node", "fixed_ip", "launched_at", "fault"]
