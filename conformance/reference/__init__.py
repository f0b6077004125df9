"""The embedded reference server: a faithful, in-memory Coder AI Tasks API with named fault injection."""

from .faults import ENV_VAR as FAULTS_ENV_VAR
from .faults import FAULTS, Fault, list_faults
from .identities import Identities
from .server import ReferenceServer

__all__ = ["FAULTS", "FAULTS_ENV_VAR", "Fault", "Identities", "ReferenceServer", "list_faults"]
