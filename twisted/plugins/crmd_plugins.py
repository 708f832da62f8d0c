"""twistd plugins of crmd-twisted: ``crmd-aes``, ``crmd-oes`` and ``crmd-exchange``."""
