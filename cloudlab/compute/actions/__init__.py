"""The only writers of compute state, by domain (as Zulip's ``zerver/actions``): ``launch``
(Launch Instance and the quota), ``instance`` (every row action under Nova's gate), ``host``
(compute services), ``scheduler_settings`` (the cloud's nova.conf). ``check_*`` validates and
raises ``ActionError``; ``do_*`` mutates in one transaction and publishes events and enqueues
steps after commit. Views, tasks, commands and tests all call these."""
