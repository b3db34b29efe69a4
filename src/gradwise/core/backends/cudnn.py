"""``gradwise.backends.cudnn``: flags programs set (``cudnn.benchmark = True``); no cuDNN here."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False
