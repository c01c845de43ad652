"""An image's properties as Nova's scheduler sees them: ``ImageMetaProps``, not Glance's dict.

Glance lets an image carry any property; the request spec Nova's filters read holds an
``ImageMetaProps`` object (nova/objects/image_meta.py, read at master, object version 1.43),
built by ``ImageMetaProps.from_dict``. Steps, as it does them:

1. the legacy names first (``architecture`` → ``hw_architecture``, ``vm_mode`` → ``hw_vm_mode``,
   ``hypervisor_type`` → ``img_hv_type`` …, ``_legacy_property_map``);
2. then the current field names, so a current name wins over its legacy one;
3. ``trait:NAME = required`` properties become ``traits_required``.

Every other property is dropped: ``props.get(key)`` answers None for it, which is why
AggregateImagePropertiesIsolation never compares an aggregate key like ``ssd_class`` even when the
image sets it. Field types coerce the text Glance stores: integers become ints and the flexible
booleans True/False (oslo's ``bool_from_string``), so ``str(prop)`` is what the filter compares.
The NUMA fields (``hw_numa_cpus.N`` / ``hw_numa_mem.N``) are not modelled: no filter here reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

#: ``ImageMetaProps.fields`` (1.43) but the NUMA lists, which are read from ``hw_numa_*.N`` keys.
IMAGE_META_PROPS: Final[frozenset[str]] = frozenset(
    """
    hw_architecture hw_auto_disk_config hw_boot_menu hw_cdrom_bus hw_cpu_cores hw_cpu_max_cores
    hw_cpu_max_sockets hw_cpu_max_threads hw_cpu_policy hw_cpu_realtime_mask hw_cpu_sockets
    hw_cpu_thread_policy hw_cpu_threads hw_device_id hw_disk_bus hw_disk_type
    hw_emulation_architecture hw_ephemeral_encryption hw_ephemeral_encryption_format
    hw_ephemeral_encryption_secret_uuid hw_firmware_stateless hw_firmware_type hw_floppy_bus
    hw_input_bus hw_ipxe_boot hw_locked_memory hw_machine_type hw_maxphysaddr_bits
    hw_maxphysaddr_mode hw_mem_encryption hw_mem_encryption_model hw_mem_page_size hw_numa_nodes
    hw_pci_numa_affinity_policy hw_pmu hw_pointer_model hw_qemu_guest_agent hw_redirected_usb_ports
    hw_rescue_bus hw_rescue_device hw_rng_model hw_scsi_model hw_serial_port_count hw_sound_model
    hw_time_hpet hw_tpm_model hw_tpm_version hw_usb_model hw_video_model hw_video_ram hw_vif_model
    hw_vif_multiqueue_enabled hw_viommu_model hw_virtio_packed_ring hw_vm_mode hw_watchdog_action
    img_bdm_v2 img_bittorrent img_block_device_mapping img_cache_in_nova img_compression_level
    img_config_drive img_hide_hypervisor_id img_hv_requested_version img_hv_type img_linked_clone
    img_mappings img_owner_id img_root_device_name img_signature img_signature_certificate_uuid
    img_signature_hash_method img_signature_key_type img_use_agent img_version os_admin_user
    os_command_line os_distro os_require_quiesce os_secure_boot os_skip_agent_inject_files_at_boot
    os_skip_agent_inject_ssh os_type traits_required
    """.split()
)

#: ``ImageMetaProps._legacy_property_map``: legacy name → current name.
LEGACY_NAMES: Final[Mapping[str, str]] = {
    "architecture": "hw_architecture",
    "owner_id": "img_owner_id",
    "vmware_disktype": "hw_disk_type",
    "vmware_image_version": "img_version",
    "vmware_ostype": "os_distro",
    "auto_disk_config": "hw_auto_disk_config",
    "ipxe_boot": "hw_ipxe_boot",
    "xenapi_device_id": "hw_device_id",
    "xenapi_image_compression_level": "img_compression_level",
    "vmware_linked_clone": "img_linked_clone",
    "xenapi_use_agent": "img_use_agent",
    "xenapi_skip_agent_inject_ssh": "os_skip_agent_inject_ssh",
    "xenapi_skip_agent_inject_files_at_boot": "os_skip_agent_inject_files_at_boot",
    "cache_in_nova": "img_cache_in_nova",
    "vm_mode": "hw_vm_mode",
    "bittorrent": "img_bittorrent",
    "mappings": "img_mappings",
    "block_device_mapping": "img_block_device_mapping",
    "bdm_v2": "img_bdm_v2",
    "root_device_name": "img_root_device_name",
    "hypervisor_version_requires": "img_hv_requested_version",
    "hypervisor_type": "img_hv_type",
}

_INTEGERS: Final = frozenset(
    """
    hw_cpu_cores hw_cpu_sockets hw_cpu_max_cores hw_cpu_max_sockets hw_cpu_max_threads hw_cpu_threads
    hw_device_id hw_numa_nodes hw_serial_port_count hw_video_ram hw_maxphysaddr_bits
    hw_redirected_usb_ports img_compression_level img_version
    """.split()
)
_BOOLEANS: Final = frozenset(
    """
    hw_boot_menu hw_firmware_stateless hw_ipxe_boot hw_locked_memory hw_mem_encryption hw_pmu
    hw_qemu_guest_agent hw_time_hpet hw_vif_multiqueue_enabled hw_ephemeral_encryption
    hw_virtio_packed_ring img_bittorrent img_bdm_v2 img_cache_in_nova img_linked_clone img_use_agent
    img_hide_hypervisor_id os_require_quiesce os_skip_agent_inject_files_at_boot os_skip_agent_inject_ssh
    """.split()
)
#: oslo_utils.strutils.TRUE_STRINGS: what FlexibleBooleanField reads as True.
_TRUE_STRINGS: Final = frozenset({"1", "t", "true", "on", "y", "yes"})


def _coerced(name: str, value: Any) -> Any:
    if name in _BOOLEANS:
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE_STRINGS
    if name in _INTEGERS and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value  # Nova's API would have refused the image; show what it holds
    return value


def image_meta_props(properties: Mapping[str, Any]) -> dict[str, Any]:
    """``ImageMetaProps.from_dict(properties)``, as a dict of the fields it sets (see the module)."""
    out: dict[str, Any] = {}
    for legacy, current in LEGACY_NAMES.items():
        if legacy in properties:
            out[current] = _coerced(current, properties[legacy])
    for name, value in properties.items():
        if name in IMAGE_META_PROPS and name != "traits_required":
            out[name] = _coerced(name, value)
    traits = [k[len("trait:") :] for k, v in properties.items() if k.startswith("trait:") and str(v) == "required"]
    if traits:
        out["traits_required"] = traits
    return out

