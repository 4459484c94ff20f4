"""The ports: one Protocol per outside capability. Plugin authors read these as the specification."""

from oasis_core.ports.blob_store import BlobStore
from oasis_core.ports.compositor import Composition, Compositor, EndCard, ProgressCallback
from oasis_core.ports.language_model import LanguageModel, ScriptWriter
from oasis_core.ports.provider import Provider, ProviderConfig
from oasis_core.ports.publisher import Publisher
from oasis_core.ports.speech_engine import SpeechEngine, Voice
from oasis_core.ports.visual_source import VisualSource

__all__ = [
    "BlobStore",
    "Composition",
    "Compositor",
    "EndCard",
    "LanguageModel",
    "ProgressCallback",
    "Provider",
    "ProviderConfig",
    "Publisher",
    "ScriptWriter",
    "SpeechEngine",
    "VisualSource",
    "Voice",
]
