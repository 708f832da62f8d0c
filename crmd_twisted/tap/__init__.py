"""Service makers behind the ``twistd`` plugins ``crmd-aes``, ``crmd-oes`` and ``crmd-exchange``."""
