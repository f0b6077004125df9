"""The embedded reference server: a faithful, in-memory Coder AI Tasks API with named faults and variations."""

from .conforming.identities import Identities
from .faults import ENV_VAR as FAULTS_ENV_VAR
from .faults import FAULTS, Fault, list_faults
from .server import ReferenceServer
from .variations import ENV_VAR as VARIATIONS_ENV_VAR
from .variations import VARIATIONS, Variation, list_variations

__all__ = [
    "FAULTS",
    "FAULTS_ENV_VAR",
    "VARIATIONS",
    "VARIATIONS_ENV_VAR",
    "Fault",
    "Identities",
    "ReferenceServer",
    "Variation",
    "list_faults",
    "list_variations",
]
