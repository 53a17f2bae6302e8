"""Metrics of social customer care: response and resolution times, rates, CSAT, NPS, SLA.

Pure functions over conversations and, for large exports, over plain numpy columns
(`to_columns`, `from_columns`). Durations are medians and percentiles first, with
means beside them; a duration that cannot be computed is ``None``, never zero; items still
waiting are excluded from the statistics and counted. Exact definitions: docs/metrics.md.

>>> import numpy as np
>>> from socialcare import metrics
>>> cols = metrics.from_columns(
...     first_customer_at=np.array(["2024-05-01T09:00", "2024-05-01T10:00"], "M8[us]"),
...     first_response_at=np.array(["2024-05-01T09:04", "NaT"], "M8[us]"))
>>> metrics.first_response_time(cols).median, metrics.reply_rate(cols).value
(datetime.timedelta(seconds=240), 0.5)
"""

from socialcare.metrics._accumulator import Accumulator
from socialcare.metrics._columns import BusinessClock, Columns, Labels, from_columns, to_columns
from socialcare.metrics._durations import (
    DurationSummary,
    first_response_time,
    next_response_time,
    reply_wait_time,
    time_to_resolution,
)
from socialcare.metrics._facebook import FacebookResponsiveness, facebook_responsiveness
from socialcare.metrics._labels import (
    IntentCount,
    SentimentShares,
    Volume,
    sentiment_shares,
    sentiment_trend,
    top_intents,
    volume,
)
from socialcare.metrics._per_conversation import ConversationMetrics, conversation_metrics
from socialcare.metrics._rates import (
    Rate,
    one_touch_resolution_rate,
    reopen_rate,
    reply_rate,
    resolution_rate,
)
from socialcare.metrics._report import MissingDependencyError, Report, ReportRow, report
from socialcare.metrics._sla import SlaAttainment, sla_attainment
from socialcare.metrics._surveys import CsatResult, NpsResult, csat, nps, wilson_interval

__all__ = [
    "Accumulator",
    "BusinessClock",
    "Columns",
    "ConversationMetrics",
    "CsatResult",
    "DurationSummary",
    "FacebookResponsiveness",
    "IntentCount",
    "Labels",
    "MissingDependencyError",
    "NpsResult",
    "Rate",
    "Report",
    "ReportRow",
    "SentimentShares",
    "SlaAttainment",
    "Volume",
    "conversation_metrics",
    "csat",
    "facebook_responsiveness",
    "first_response_time",
    "from_columns",
    "next_response_time",
    "nps",
    "one_touch_resolution_rate",
    "reopen_rate",
    "reply_rate",
    "reply_wait_time",
    "report",
    "resolution_rate",
    "sentiment_shares",
    "sentiment_trend",
    "sla_attainment",
    "time_to_resolution",
    "to_columns",
    "top_intents",
    "volume",
    "wilson_interval",
]
