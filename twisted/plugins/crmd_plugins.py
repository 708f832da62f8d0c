"""twistd plugins of crmd-twisted: ``crmd-aes``, ``crmd-oes`` and ``crmd-exchange``.

This file must stay import-light: twistd imports every plugin module to list them.
"""

from twisted.application.service import ServiceMaker

crmd_aes = ServiceMaker(
    "crmd-aes",
    "crmd_twisted.tap.aes",
    "CRMD Admin server simulator: 2FA logon, session keys, redirect to the OES.",
    "crmd-aes",
)
crmd_oes = ServiceMaker(
    "crmd-oes",
    "crmd_twisted.tap.oes",
    "CRMD Order Entry server simulator: orders, risk, collateral, matching engine.",
    "crmd-oes",
)
crmd_exchange = ServiceMaker(
    "crmd-exchange",
    "crmd_twisted.tap.exchange",
    "CRMD AES + OES (and optional fail-over OES) in one process, for demos and tests.",
    "crmd-exchange",
)
