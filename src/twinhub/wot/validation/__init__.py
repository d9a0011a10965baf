"""Thing Model based validation (Ditto 3.6+, `basic-wot-integration.md`): pure checks of thing writes and live
message payloads against resolved WoT Thing Models; failures are `WotPayloadInvalid`
(`wot:payload.validation.error`, 400, with `validationDetails`)."""

from twinhub.wot.validation.config import ASPECTS, ValidationConfig
from twinhub.wot.validation.messages import check_message
from twinhub.wot.validation.model_parts import feature_model, is_model_url, submodels
from twinhub.wot.validation.things import Models, check_thing_write, feature_model_url

__all__ = ["ASPECTS", "Models", "ValidationConfig", "check_message", "check_thing_write", "feature_model",
           "feature_model_url", "is_model_url", "submodels"]
