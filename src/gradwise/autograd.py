"""``gw.autograd``: grad-mode switches and the finite-difference gradient check."""
from .core.autograd import apply_op, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .core.gradcheck import GradcheckError, gradcheck

__all__ = ["apply_op", "enable_grad", "gradcheck", "GradcheckError", "is_grad_enabled",
           "no_grad", "set_grad_enabled"]
