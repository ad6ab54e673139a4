"""Whether compiled (numba) code may run in this process: the surface/optimizer stepping kernels
(engine/kernels) and the network's layers (engine/nn/kernel.py). On by default for the engine used
standalone; the app sets it from its settings (`LOSSLAB_KERNELS`) through `engine.kernels.set_enabled`.
The numbers are the same either way. No imports: every engine module may read it."""

_allowed = True


def allowed() -> bool:
    return _allowed


def allow(flag: bool) -> None:
    global _allowed
    _allowed = bool(flag)
