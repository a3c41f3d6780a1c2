"""The scenario schema: every section and field, with its default, unit, range and source.

A scenario is data. Every field below has a default and a description that ends with
its unit in brackets; the README's scenario reference is generated from these
definitions (`python -m simulation.docs`, checked by `tests/test_docs.py`). Sections
refuse unknown keys, and the scenario's own checks (`Scenario._consistent`) refuse
mixes, topics and kinds it does not know, with a did-you-mean hint.

Files, `extends` and overrides are read in `simulation.scenario.load`; this module
turns a raw dict into a validated `Scenario` (`validate`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from simulation.accountability import RULES
from simulation.codes import ADMINISTRATIVE_LEVELS, NEED_KINDS
from simulation.format import split_unit
from simulation.inputs import EDGE_LIST, check_input
from simulation.mechanisms import MECHANISM_PRESETS, MechanismName
from simulation.mechanisms.coordination import COORDINATIONS
from simulation.mechanisms.disciplines import DISCIPLINES
from simulation.network import GENERATORS
from simulation.platforms import PLATFORM_NAMES, PLATFORMS
from simulation.scenario.errors import ScenarioError, did_you_mean, validation_error
from simulation.scenario.overrides import SOURCE as OVERRIDES
from simulation.scenario.overrides import parse_overrides, set_dotted

# Names an extension registers where it is defined (a rule, a queue discipline, a
# coordination mode, a network generator): the schema accepts exactly those.
if TYPE_CHECKING:
    RuleName = str
    DisciplineName = str
    CoordinationName = str
    NetworkKind = str
    PlatformName = str
    LevelName = str
else:
    RuleName = Literal[tuple(RULES)]
    DisciplineName = Literal[tuple(DISCIPLINES)]
    CoordinationName = Literal[tuple(COORDINATIONS)]
    NetworkKind = Literal[(*GENERATORS, "edge_list")]
    PlatformName = Literal[PLATFORM_NAMES]
    LevelName = Literal[ADMINISTRATIVE_LEVELS]

ShiftName = Literal["office_hours", "extended", "24x7"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# Bounds shared by many fields, each with its reason. Every number in a scenario is
# finite (`Section.model_config`: NaN and inf are refused), and every field has an
# upper bound where one makes sense, so no value can make a run hang or overflow.
MAX_DAYS = 3650  # ten years: the longest run, and the latest day an event may name
MAX_HOURS = MAX_DAYS * 24  # the same in hours: patience, reply expectations
MAX_DELAY_HOURS = 720.0  # thirty days: delays between steps of one item's handling
MAX_DEADLINE_HOURS = 8760.0  # a year: the calendar keeps a year of slack past the run
WEEK_MINUTES = 7 * 24 * 60  # the longest an operator's single task may take [minutes]
# The shortest task an operator's clock counts (6 seconds): below it, clock arithmetic
# stops advancing (t + 5e-324 == t) and a run never ends.
MIN_TASK_MINUTES = 0.1
# A release is a prepared information post; at 5 minutes an operator already posts 12
# an hour. Shorter times only multiply releases, each spreading over the whole graph
# (0.01 minutes: 281 s for one day of 300 citizens), and no source supports them.
MIN_RELEASE_MINUTES = 5.0
MAX_WEIGHT = 1e6  # relative weights and shares (normalised): far from float overflow
# Beta draws with a = mean·k and b = (1 − mean)·k: below these, a or b underflows to 0
# and numpy refuses the draw; the draws are already all but exactly 0 or 1 there.
MIN_BETA_MEAN = 0.001
MIN_BETA_CONCENTRATION = 0.1
MAX_BETA_CONCENTRATION = 1000.0
MAX_EVENTS = 1000  # scheduled events in one scenario [count]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
Satisfaction = Annotated[float, Field(ge=-1.0, le=1.0)]
HolidayDay = Annotated[int, Field(ge=0, le=MAX_DAYS)]
ReplyQuality = Literal["boilerplate", "partial", "substantive"]


class _EdgeListProblem(ValueError):
    """An edge list that is not a regular file within its cap, as a validation error."""

    def __init__(self, source: str, field: str | None, message: str):
        super().__init__(f"{field}: {source}: {message}")


def _profile_form(value: Any) -> str:
    """Which form an activity profile is given in: a list of weights, or a name."""
    return "weights" if isinstance(value, list) else "name"


# An activity profile: a name or a list of weights. Told apart by the value's form, so
# a bad weight is reported at its place (`daily_rhythm[3]`), not as a mismatch of both.
DailyRhythm = Annotated[
    Annotated[Literal["weibo", "flat"], Tag("name")] | Annotated[list[Weight], Tag("weights")],
    Discriminator(_profile_form),
]
# When a hotline's callers call: 'needs' (as needs arise) or 24 weights by hour of day.
CallRhythm = Annotated[
    Annotated[Literal["needs"], Tag("name")] | Annotated[list[Weight], Tag("weights")],
    Discriminator(_profile_form),
]
AfterHoursRule = Literal["closed", "queue"]
WeeklyRhythm = Annotated[
    Annotated[Literal["flat"], Tag("name")] | Annotated[list[Weight], Tag("weights")],
    Discriminator(_profile_form),
]


class Section(BaseModel):
    """Base for every scenario section: unknown keys are refused, assignment re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- sections


class RunSettings(Section):
    """How long to simulate and with which root seed."""

    days: int = Field(
        30, ge=1, le=MAX_DAYS, description="Length of the run [days]; one step is one hour."
    )
    seed: int = Field(
        1, ge=0, description="Root random seed; every random stream is derived from it [integer]."
    )
    start_weekday: Weekday = Field("monday", description="Weekday of day 0 of the run.")


def _monday_to_friday() -> list[Weekday]:
    return ["monday", "tuesday", "wednesday", "thursday", "friday"]


class CalendarSettings(Section):
    """Working week, office hours and holidays (MODEL.md §3)."""

    office_hours_start: int = Field(
        9, ge=0, le=23, description="Hour offices open on working days [hour of day, 0-23]."
    )
    office_hours_end: int = Field(
        17, ge=1, le=24, description="Hour offices close on working days [hour of day, 1-24]."
    )
    working_weekdays: list[Weekday] = Field(
        default_factory=_monday_to_friday,
        description="Weekdays on which offices open [names].",
    )
    holidays: list[HolidayDay] = Field(
        default_factory=list,
        max_length=MAX_DAYS,
        description="Days of the run on which offices stay closed [day index from 0].",
    )

    @model_validator(mode="after")
    def _office_hours_ordered(self) -> CalendarSettings:
        if self.office_hours_end <= self.office_hours_start:
            raise ValueError(
                f"office_hours_end ({self.office_hours_end}) must be after "
                f"office_hours_start ({self.office_hours_start})"
            )
        return self


class PopulationSettings(Section):
    """Citizens: how many, how active, how patient, how trusting (MODEL.md §2, §4.1)."""

    citizens: int = Field(
        10_000,
        ge=10,
        le=20_000_000,
        description="Number of citizens [people]. With network.kind = 'edge_list' the file "
        "sets the citizens: leave this at its default (10,000) or give the file's node "
        "count; any other number is refused.",
    )
    need_rate_per_day: float = Field(
        0.01,
        ge=0.0,
        le=10.0,
        description="Mean new needs per citizen per day at average activity [needs/citizen/day].",
    )
    daily_rhythm: DailyRhythm = Field(
        "weibo",
        description="Hour-of-day activity profile: 'weibo' (low at night, evening peak), "
        "'flat', or 24 non-negative weights, each at most 1e6 [relative].",
    )
    weekly_rhythm: WeeklyRhythm = Field(
        "flat",
        description="Day-of-week activity profile, Monday to Sunday, times the daily "
        "rhythm: 'flat' (every day alike; modelling assumption: no source on the weekly "
        "rhythm of posts to government accounts was found) or 7 non-negative weights, "
        "scaled to mean 1 so a week's needs do not change [relative].",
    )
    activity_pareto_shape: float = Field(
        1.1,
        gt=1.0,
        le=10.0,
        description="Shape of the Pareto distribution of citizen activity; near 1 means a few "
        "per cent of users write most posts (Fu & Chau 2013: ~5 % write over 80 %; the top "
        "5 % hold 76 % at 1.1 in an infinite population, about 67 % at 10,000 citizens, a "
        "deliberate departure explained in docs/ODD.md §7.1) [dimensionless].",
    )
    kind_mix: dict[str, Weight] = Field(
        default_factory=lambda: {
            "consultation": 0.58,
            "request": 0.20,
            "complaint": 0.17,
            "suggestion": 0.05,
        },
        description="Share of new needs by kind; 58% consultations, 42% demands "
        "(Beijing 12345, 2019-21) [shares, normalised].",
    )
    topic_mix: dict[str, Weight] = Field(
        default_factory=lambda: {
            "pensions": 0.35,
            "medical_insurance": 0.30,
            "employment": 0.20,
            "labour_inspection": 0.15,
        },
        description="Share of needs by topic; each topic is handled by the department of the "
        "same name [shares, normalised].",
    )
    multi_department_share: Probability = Field(
        0.2, description="Share of requests and complaints that need a second department [share]."
    )
    complexity_mean: float = Field(
        0.45,
        ge=MIN_BETA_MEAN,
        le=1.0 - MIN_BETA_MEAN,
        description="Mean complexity of a need (Beta distributed); an operator can answer a "
        "consultation itself when its complexity is below the operator's skill [0-1].",
    )
    complexity_concentration: float = Field(
        4.0,
        ge=MIN_BETA_CONCENTRATION,
        le=MAX_BETA_CONCENTRATION,
        description="Concentration a+b of the complexity Beta distribution; larger means "
        "items more alike; at least 0.1, where a or b would underflow to 0 and the draw "
        "fail [dimensionless].",
    )
    initial_trust_mean: float = Field(
        0.55,
        ge=MIN_BETA_MEAN,
        le=1.0 - MIN_BETA_MEAN,
        description="Mean initial trust in government (Beta) [0-1].",
    )
    initial_trust_concentration: float = Field(
        10.0,
        ge=MIN_BETA_CONCENTRATION,
        le=MAX_BETA_CONCENTRATION,
        description="Concentration a+b of the initial trust Beta distribution; larger means "
        "less spread; at least 0.1, where a or b would underflow to 0 and the draw fail "
        "[dimensionless].",
    )
    follow_share: Probability = Field(
        0.3, description="Share of citizens following the government account [share]."
    )
    patience_distribution: Literal["exponential", "lognormal", "none"] = Field(
        "exponential",
        description="Distribution of how long a citizen waits for a first reply before "
        "escalating or giving up; 'none' means citizens wait for ever.",
    )
    patience_mean_hours: float = Field(
        72.0,
        gt=0.0,
        le=MAX_HOURS,
        description="Mean patience; at most ten years, the longest run [hours].",
    )
    patience_cv: float = Field(
        1.0, gt=0.0, le=5.0, description="Coefficient of variation of lognormal patience [ratio]."
    )
    threat_share: Probability = Field(
        0.0,
        description="Share of addressed needs whose author states a threat to complain to "
        "upper levels if the need is not met (Chen, Pan & Xu 2016's 'tattling' treatment); "
        "operators weigh a stated threat like one escalation (`staffing.escalation_weight`). "
        "0 in the bundled scenarios: the validation's upward-pressure check sets it to "
        "reproduce the field experiment [fraction].",
    )
    release_informativeness: Probability = Field(
        0.05,
        description="Knowledge a release adds on its topic per unit of population reached "
        "[knowledge/reach].",
    )
    release_consultation_reduction: Probability = Field(
        0.5,
        description="Cut in the consultation rate on a topic when knowledge of it is "
        "complete [share].",
    )
    knowledge_half_life_days: float = Field(
        3.0,
        ge=0.01,
        le=MAX_DAYS,
        description="Half-life of what releases taught the public; at least 0.01 (a "
        "quarter of an hour, well below the hourly step; shorter ones overflow the decay "
        "rate) and at most ten years, the longest run [days].",
    )


class ChannelSettings(Section):
    """How a citizen with a need chooses where to post it (MODEL.md §4.2)."""

    address_base: Probability = Field(
        0.75,
        description="Probability that a follower with trust 0.5 addresses the government "
        "(@-mention or private message) (assumption) [probability].",
    )
    address_trust_slope: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Change in that probability per unit of trust above 0.5 (assumption) "
        "[probability/trust].",
    )
    non_follower_factor: Probability = Field(
        0.4,
        description="Multiplier on the probability for citizens who do not follow the account "
        "(assumption) [ratio].",
    )
    public_share: Probability = Field(
        0.6,
        description="Share of addressed needs posted as public @-mentions (micro-blog) rather "
        "than private messages (WeChat) (assumption) [share].",
    )
    vent_probability: dict[str, Probability] = Field(
        default_factory=lambda: {
            "consultation": 0.1,
            "request": 0.3,
            "complaint": 0.7,
            "suggestion": 0.3,
        },
        description="Probability, by kind, that a citizen with trust 0.5 who does not address the "
        "government vents in a public post instead of staying silent (assumption) [probability].",
    )
    voice_trust_slope: float = Field(
        0.6,
        ge=0.0,
        le=2.0,
        description="Drop in the probability that a need is voiced at all (addressed or "
        "vented) per unit of trust below 0.5; at trust 0.5 and above every need is voiced "
        "[probability/trust]. Low trust goes with low external political efficacy and "
        "withdrawal (Gamson 1968; Craig, Niemi & Silver 1990); the size is an assumption.",
    )
    vent_trust_slope: float = Field(
        1.0,
        ge=0.0,
        le=2.0,
        description="Relative change of the vent probability per unit of trust below 0.5: "
        "p_vent = vent_probability · (1 + slope · (0.5 − trust)) [1/trust]. Distrust goes "
        "with non-institutional, public voice rather than addressing the institution "
        "(Hooghe & Marien 2013); the size is an assumption.",
    )


class DiffusionSettings(Section):
    """Independent-cascade spreading over the follower graph and its effect on trust (§4.3)."""

    repost_probability: Probability = Field(
        0.005,
        description="Base probability that a follower exposed to a neutral post reposts it "
        "(assumption) [probability per exposure].",
    )
    negative_multiplier: float = Field(
        2.5,
        ge=0.0,
        le=100.0,
        description="Repost multiplier for negative posts (assumption) [ratio].",
    )
    unresolved_multiplier: float = Field(
        1.5,
        ge=0.0,
        le=100.0,
        description="Extra repost multiplier while a complaint is unresolved (assumption) [ratio].",
    )
    influence_exponent: float = Field(
        0.2,
        ge=0.0,
        le=2.0,
        description="Repost probability scales with (reposter's followers / mean followers) to "
        "this power: influential authors spread further (assumption) [dimensionless].",
    )
    reply_repost_probability: Probability = Field(
        0.02,
        description="Probability that an exposed follower reposts a government reply (assumption) "
        "[probability per exposure].",
    )
    release_repost_probability: Probability = Field(
        0.02,
        description="Probability that an exposed follower reposts an information release "
        "(assumption) [probability per exposure].",
    )
    exposure_trust_loss: Probability = Field(
        0.01,
        description="Share of trust lost by a viewer of a visible unresolved complaint, "
        "escalation or rumour, once per post and viewer however often they see it (assumption) "
        "[fraction of current trust].",
    )
    exposure_trust_gain: Probability = Field(
        0.005,
        description="Share of the gap to full trust gained by a viewer of a substantive "
        "government reply or clarification, once per post and viewer (assumption) [fraction of (1 "
        "- trust)].",
    )
    boilerplate_exposure_loss: Probability = Field(
        0.003,
        description="Share of trust lost by a viewer of a public boilerplate reply, once per post "
        "and viewer (assumption) [fraction of current trust].",
    )
    clarification_repost_factor: Probability = Field(
        0.2,
        description="Multiplier on a rumour's repost probability once it is clarified "
        "(assumption) [ratio].",
    )
    generations_per_hour: int = Field(
        1, ge=1, le=50, description="Repost generations a cascade advances per hour [count]."
    )


MAX_TRUST_HALF_LIFE_DAYS = 36500.0  # a century: finite half-lives beyond it are typos


class ReactionSettings(Section):
    """How citizens judge replies, silence and escalate (MODEL.md §4.6)."""

    expected_reply_hours: float = Field(
        24.0,
        ge=0.01,
        le=MAX_HOURS,
        description="Reply time citizens consider normal; at least 0.01 (36 seconds: lateness is "
        "measured in multiples of it) and at most ten years (assumption) [hours].",
    )
    lateness_penalty: float = Field(
        0.3,
        ge=0.0,
        le=5.0,
        description="Satisfaction lost per multiple of the expected reply time beyond it "
        "(assumption) [satisfaction units].",
    )
    quality_satisfaction: dict[str, Satisfaction] = Field(
        default_factory=lambda: {"substantive": 1.0, "partial": 0.2, "boilerplate": -0.4},
        description="Satisfaction of a timely reply by quality (assumption) [-1 to 1].",
    )
    trust_gain: Probability = Field(
        0.15,
        description="Share of the gap to full trust gained per unit of positive satisfaction "
        "(assumption) [fraction of (1 - trust)].",
    )
    trust_loss: Probability = Field(
        0.30,
        description="Share of trust lost per unit of negative satisfaction; larger than the gain: "
        "losses move trust faster than gains (assumption) [fraction].",
    )
    trust_half_life_days: float = Field(
        30.0,
        ge=0.01,
        allow_inf_nan=True,  # inf is meaningful here (no drift); NaN is refused below
        description="Half-life of any departure of a citizen's trust from their initial "
        "trust (their disposition): trust drifts back towards it, so it has an equilibrium "
        "between shocks and recovery [days]; at least 0.01 (shorter ones overflow the "
        f"drift rate), at most {MAX_TRUST_HALF_LIFE_DAYS:,.0f} or inf, which switches the "
        "drift off (the one field that takes inf). Assumption, "
        "between the weeks in which effects of mass communication fade (Hill, Lo, Vavreck "
        "& Zaller 2013) and the longer memory of personal experience.",
    )
    abandonment_satisfaction: float = Field(
        -1.0,
        ge=-1.0,
        le=0.0,
        description="Satisfaction of a citizen who gives up unanswered (assumption) [-1 to 0].",
    )
    escalation_satisfaction: float = Field(
        -0.5,
        ge=-1.0,
        le=0.0,
        description="Satisfaction of a citizen who escalates after waiting in vain; moves their "
        "trust as a judgement would (assumption) [-1 to 0].",
    )
    escalation_probability: Probability = Field(
        0.3,
        description="Probability that a citizen whose patience runs out escalates (public "
        "negative re-post, complaint upward) rather than gives up (assumption) [probability].",
    )
    max_escalations: int = Field(
        2,
        ge=0,
        le=10,
        description="Escalations before a citizen finally gives up (assumption) [count].",
    )
    escalation_patience_factor: float = Field(
        0.5,
        gt=0.0,
        le=10.0,
        description="Patience after an escalation, as a multiple of a fresh patience draw "
        "(assumption) [ratio].",
    )
    rating_probability: Probability = Field(
        0.3,
        description="Probability that a citizen rates a reply (satisfaction survey) (assumption) "
        "[probability].",
    )
    follow_up_qualities: list[ReplyQuality] = Field(
        default_factory=lambda: list[ReplyQuality](["boilerplate", "partial"]),
        description="Reply qualities whose authors may follow up (a substantive reply settles the "
        "need); an empty list turns follow-ups off (assumption) [qualities].",
    )
    follow_up_base: Probability = Field(
        0.0,
        description="Follow-up probability of a fully satisfied, infinitely patient author "
        "(assumption) [probability].",
    )
    follow_up_dissatisfaction_weight: Probability = Field(
        0.5,
        description="Follow-up probability added per unit of dissatisfaction (1 - s) / 2 of "
        "the reply (0 at s = 1, 1 at s = -1); with the default quality values a timely "
        "boilerplate reply gives 0.35, a partial one 0.2 (assumption) [probability].",
    )
    follow_up_impatience_weight: Probability = Field(
        0.2,
        description="Follow-up probability added per unit of impatience h / (h + P), where P "
        "is the author's patience and h = follow_up_reference_patience_hours (0 for citizens "
        "who wait for ever) (assumption) [probability].",
    )
    follow_up_reference_patience_hours: float = Field(
        72.0,
        gt=0.0,
        le=10_000.0,
        description="Patience at which an author's impatience is 0.5; the default mean "
        "patience (assumption) [hours].",
    )
    follow_up_delay_hours: float = Field(
        4.0,
        ge=0.0,
        le=720.0,
        description="Mean time from a reply to its follow-up, exponential; 0: at once "
        "(assumption) [hours].",
    )
    max_follow_ups: int = Field(
        2,
        ge=0,
        le=50,
        description="Follow-ups per need at most; 0 turns them off (assumption) [count].",
    )
    reminder_probability: Probability = Field(
        0.5,
        description="Probability that the author of an item operators left without a reply "
        "posts it again (a reminder), if still waiting then (assumption) [probability].",
    )
    reminder_delay_hours: float = Field(
        24.0,
        ge=0.0,
        le=720.0,
        description="Mean time from an item being left to its author's reminder, exponential; "
        "0: at once (assumption) [hours].",
    )
    max_reminders: int = Field(
        2,
        ge=0,
        le=50,
        description="Reminders per need at most; 0 turns them off (assumption) [count].",
    )

    @field_validator("trust_half_life_days")
    @classmethod
    def _half_life_finite_or_off(cls, value: float) -> float:
        if math.isnan(value) or (math.isfinite(value) and value > MAX_TRUST_HALF_LIFE_DAYS):
            raise ValueError(
                f"must be a number of days from 0.01 to {MAX_TRUST_HALF_LIFE_DAYS:g}, or inf "
                f"to switch the drift off (got {value})"
            )
        return value


class NetworkSettings(Section):
    """The directed follower graph (MODEL.md §2)."""

    kind: NetworkKind = Field(
        "heavy_tailed",
        description="Generator: 'heavy_tailed' (power-law follower counts, Chung-Lu), "
        "'small_world' (Watts-Strogatz, mutual follows), 'random' (Erdős-Rényi), "
        "'barabasi_albert' (networkx, mutual follows) or 'edge_list' (a file).",
    )
    mean_following: float = Field(
        20.0,
        gt=0.0,
        le=1000.0,
        description="Mean number of accounts each citizen follows (mean degree) [accounts].",
    )
    follower_exponent: float = Field(
        2.3,
        gt=2.0,
        le=5.0,
        description="Power-law exponent of follower counts for 'heavy_tailed' [dimensionless].",
    )
    rewiring_probability: Probability = Field(
        0.1,
        description="Watts-Strogatz rewiring probability for 'small_world' [probability per edge].",
    )
    reciprocal: bool = Field(
        False,
        description="For 'random': make every follow mutual (an undirected Erdős-Rényi graph).",
    )
    edge_list: str | None = Field(
        None,
        description="For 'edge_list': path to a CSV or whitespace file, one edge per line, "
        "relative to the scenario file. Node ids are all integers or all names (as the "
        "first edge shows; 1.0 is not an integer); a line '# nodes: N' declares N citizens "
        "with ids 0 to N-1, so that ids on no edge are citizens without follows.",
    )
    edge_list_direction: Literal["follower_followee", "followee_follower", "undirected"] = Field(
        "follower_followee",
        description="Meaning of each line 'a b': a follows b; b follows a; or both.",
    )
    opinion_leader_share: Probability = Field(
        0.01,
        description="Share of citizens with most followers flagged as opinion leaders [share].",
    )

    @model_validator(mode="after")
    def _edge_list_given(self) -> NetworkSettings:
        if self.kind == "edge_list" and not self.edge_list:
            raise ValueError("kind = 'edge_list' needs network.edge_list = 'path/to/file.csv'")
        if self.edge_list and self.kind != "edge_list":
            raise ValueError(
                f"network.edge_list is set but kind = '{self.kind}'; set kind = 'edge_list'"
            )
        if self.edge_list and not Path(self.edge_list).exists():
            raise ValueError(f"network.edge_list: file not found: {self.edge_list}")
        if self.edge_list:
            check_input(self.edge_list, EDGE_LIST, "network.edge_list", _EdgeListProblem)
        return self


class MechanismSettings(Section):
    """Response mechanism: a preset over composable settings (MODEL.md §5).

    Every setting left out takes the preset's value; any may be overridden one by one.
    """

    preset: MechanismName = Field(
        "release_only",
        description="Response mechanism preset: 'release_only', 'reactive', 'closed_loop', "
        "'joint' or 'proactive'.",
    )
    referral: bool | None = Field(
        None, description="Operators refer items they cannot answer to departments."
    )
    track_referrals: bool | None = Field(
        None,
        description="Referred items are tracked until closed: the departments' answer comes "
        "back to the inbox and an operator posts it as the reply. Off: a referral is "
        "forwarded and forgotten; departments still work on it but their answer never "
        "reaches the citizen, and operators, knowing this, do not count a referral as "
        "leading to a reply (true in every preset).",
    )
    coordination: CoordinationName | None = Field(
        None,
        description="Multi-department items: 'silo' (one department after another, may "
        "bounce) or 'joint' (a lead department coordinates, parts in parallel).",
    )
    monitoring: bool | None = Field(
        None,
        description="Operators monitor public opinion: trending vents and rumours are pulled "
        "into the inbox.",
    )
    monitoring_threshold_impressions: int | None = Field(
        None,
        ge=1,
        le=1_000_000_000,
        description="Impressions at which a public post counts as trending; at most a "
        "billion, more than any population the model can hold [views].",
    )
    queue_discipline: DisciplineName | None = Field(
        None,
        description="Order in which operators take items: arrival, earliest deadline, or "
        "most visible (impressions, escalations) first.",
    )
    release_time_share: Probability | None = Field(
        None,
        description="Share of on-duty time operators spend on information releases [share].",
    )
    clarify_rumours: bool | None = Field(
        None, description="Operators post clarifications against monitored rumours."
    )
    targeted_releases: bool | None = Field(
        None,
        description="Releases address the topic with most recent consultations (otherwise a "
        "topic drawn from the topic mix).",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and "reply_propensity" in data:
            raise ValueError(
                "reply_propensity: moved to `staffing.reply_propensity` (calibrated -0.74): "
                "operators' inclination to reply is a behavioural constant, not part of the "
                "response process; a guarantee that requests are answered is "
                "`mandate.reply_norm`"
            )
        return data

    @model_validator(mode="after")
    def _fill_from_preset(self) -> MechanismSettings:
        preset = MECHANISM_PRESETS[self.preset]
        for name, value in preset.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        return self


class DepartmentSettings(Section):
    """One back office (MODEL.md §2)."""

    staff: int = Field(2, ge=0, le=10_000, description="Staff working on referred items [people].")
    processing_hours: float = Field(
        2.5,
        ge=MIN_TASK_MINUTES / 60.0,
        le=MAX_DELAY_HOURS,
        description="Mean working time to process one referred item; from 6 seconds "
        "(below, the clock stops advancing) to 720 hours [working hours].",
    )
    processing_cv: float = Field(
        1.0,
        gt=0.0,
        le=5.0,
        description="Coefficient of variation of (lognormal) processing time [ratio].",
    )
    quality: Probability = Field(
        0.85,
        description="Probability that a fully processed answer is substantive [probability].",
    )
    quick_share: Probability = Field(
        0.3,
        description="Time of a quick partial answer as a share of full processing [ratio].",
    )
    bounce_hours: float = Field(
        0.25,
        ge=MIN_TASK_MINUTES / 60.0,
        le=MAX_DELAY_HOURS,
        description="Silo coordination: time to look at an item and send it back; from 6 "
        "seconds (below, the clock stops advancing) to 720 hours [working hours].",
    )
    bounce_probability: Probability = Field(
        0.15,
        description="Silo coordination: probability the department returns an item as "
        "'not ours', so the operator must refer it again [probability].",
    )


def default_departments() -> dict[str, DepartmentSettings]:
    """The four departments of the study's account, each with the defaults."""
    return {
        name: DepartmentSettings()
        for name in ("pensions", "medical_insurance", "employment", "labour_inspection")
    }


class StaffingSettings(Section):
    """Operators running the account, their skill and shifts; department handover costs."""

    operators: int = Field(
        2, ge=0, le=10_000, description="Operators on duty in every covered hour [people]."
    )
    shifts: ShiftName = Field(
        "office_hours",
        description="Covered hours: 'office_hours' (calendar office hours), 'extended' "
        "(extended_hours_start to extended_hours_end every day) or '24x7'.",
    )
    shift_end: Literal["suspend", "finish"] = Field(
        "suspend",
        description="An operator's item still in hand when the shift ends: 'suspend' (put "
        "back at the head of the inbox with the work left, resumed in the next covered "
        "hour) or 'finish' (the operator stays on until it is done; the overtime counts "
        "in operator duty hours and staff_hours). Departments always stop at closing time, "
        "since their processing time is counted in working hours; modelling assumption.",
    )
    extended_hours_start: int = Field(
        8, ge=0, le=23, description="Start of 'extended' shifts [hour of day, 0-23]."
    )
    extended_hours_end: int = Field(
        22,
        ge=1,
        le=24,
        description="End of 'extended' shifts; an end before the start is an overnight "
        "shift (22 to 6: from 22:00 to 06:00 the next morning) [hour of day, 1-24].",
    )
    skill_mean: Probability = Field(
        0.5,
        description="Mean operator skill / media literacy (Beta distributed) (assumption) [0-1].",
    )
    skill_sd: float = Field(
        0.15, ge=0.0, le=0.5, description="Spread of operator skill (assumption) [0-1]."
    )
    training: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Skill added by training, capped at 1 [skill units].",
    )
    handling_minutes: float = Field(
        20.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Mean time to write a substantive reply; from 0.1 (6 seconds: below, the "
        "clock stops advancing) to a week, 10080 (assumption) [minutes].",
    )
    handling_distribution: Literal["exponential", "lognormal"] = Field(
        "exponential", description="Distribution of handling time."
    )
    handling_cv: float = Field(
        1.0,
        gt=0.0,
        le=5.0,
        description="Coefficient of variation of lognormal handling time (assumption) [ratio].",
    )
    partial_share: Probability = Field(
        0.5,
        description="Time of a partial reply as a share of a substantive one (assumption) [ratio].",
    )
    boilerplate_minutes: float = Field(
        3.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Time to post a boilerplate reply; from 0.1 (6 seconds: below, the clock "
        "stops advancing) to a week, 10080 (assumption) [minutes].",
    )
    referral_minutes: float = Field(
        6.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Time to refer an item; from 0.1 (6 seconds: below, the clock stops "
        "advancing) to a week, 10080 (assumption) [minutes].",
    )
    triage_minutes: float = Field(
        1.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Time to read an item and leave it; from 0.1 (6 seconds: below, the clock "
        "stops advancing) to a week, 10080 (assumption) [minutes].",
    )
    reply_post_minutes: float = Field(
        5.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Time to post a department's answer as a reply; from 0.1 (6 seconds: below, "
        "the clock stops advancing) to a week, 10080 (assumption) [minutes].",
    )
    clarification_minutes: float = Field(
        30.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Time to write a rumour clarification; from 0.1 (6 seconds: below, the clock "
        "stops advancing) to a week, 10080 (assumption) [minutes].",
    )
    release_minutes: float = Field(
        240.0,
        ge=MIN_RELEASE_MINUTES,
        le=WEEK_MINUTES,
        description="Time to prepare one information release; with half of two office-hours "
        "operators' time on releases this gives about 500 releases a year, near the ~454 "
        "posts per account per year of certified government micro-blogs in 2016. From 5 "
        "(12 releases an operator-hour; shorter times only multiply releases, each spread "
        "over the whole graph, at a cost in run time without a source) to a week, 10080 "
        "[minutes].",
    )
    motivation: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Weight operators and department staff put on the quality of what they "
        "deliver for its own sake (assumption) [utility/quality].",
    )
    load_sensitivity: float = Field(
        0.25,
        ge=0.0,
        le=10.0,
        description="Price staff put on an hour of work per hour of backlog waiting per member of "
        "staff (departments count it per working day) (assumption) [utility/hour²].",
    )
    choice_temperature: float = Field(
        0.2,
        ge=0.01,
        le=10.0,
        description="Randomness of staff's choice between actions (logit), operators and "
        "departments alike; at least 0.01, below which utilities divided by it overflow "
        "(assumption) [utility units].",
    )
    reply_propensity: float = Field(
        -0.74,
        ge=-5.0,
        le=5.0,
        description="Operators' baseline inclination to engage with an item (reply or refer) "
        "rather than leave it, added to the worth of every action that leads to a reply; "
        "negative where broadcasting is the job. Calibrated together with "
        "escalation_weight (experiments/upward_pressure.py, seeds 1-16, 10,000 citizens, "
        "30 days) so that the baseline replies to about one third of requests, the share "
        "of online requests to Chinese county governments that got any reply (Chen, Pan & "
        "Xu 2016, AJPS) [utility units].",
    )
    escalation_weight: float = Field(
        0.11,
        ge=0.0,
        le=10.0,
        description="Extra value operators see in replying to an item per escalation (public "
        "re-posts, complaints upward) or stated threat to complain to upper levels. "
        "Calibrated with reply_propensity so that a stated threat raises replies by about "
        "8 percentage points, as in Chen, Pan & Xu (2016)'s field experiment "
        "[utility/escalation].",
    )
    effort_gain: float = Field(
        0.15,
        ge=0.0,
        le=2.0,
        description="Work-speed increase of operators and department staff per unit of appraisal "
        "pressure (assumption) [ratio/pressure].",
    )
    max_effort: float = Field(
        2.0,
        ge=1.0,
        le=10.0,
        description="Cap on the work-speed multiplier appraisal pressure can bring (assumption) "
        "[ratio].",
    )
    demand_self_service: Probability = Field(
        0.3,
        description="An operator settles a request or complaint alone only if its complexity is "
        "below skill times this (consultations: below skill) (assumption) [ratio].",
    )
    department_coordination_hours: float = Field(
        4.0,
        ge=0.0,
        le=MAX_DELAY_HOURS,
        description="Joint handling: lead department's coordination time after the slowest part; "
        "at most 720 (thirty days) (assumption) [working hours].",
    )
    silo_handoff_hours: float = Field(
        24.0,
        ge=0.0,
        le=MAX_DELAY_HOURS,
        description="Silo handling: delay passing an item from one department to the next; at "
        "most 720 (thirty days) (assumption) [hours].",
    )
    partial_reply_value: Probability = Field(
        0.4,
        description="Worth to motivated staff of a partial reply (a substantive one is 1), "
        "also of a department's partial answer; modelling assumption [quality units].",
    )
    boilerplate_reply_value: Probability = Field(
        0.1,
        description="Worth to motivated staff of a boilerplate reply (a substantive one is "
        "1); modelling assumption [quality units].",
    )
    turnaround_learning_rate: Probability = Field(
        0.1,
        description="Weight of the newest turnaround in the running mean a department keeps "
        "of its own turnaround, which operators use to foresee a referral's delay; "
        "modelling assumption [share].",
    )

    @model_validator(mode="after")
    def _extended_hours_differ(self) -> StaffingSettings:
        if (
            self.shifts == "extended"
            and self.extended_hours_start % 24 == self.extended_hours_end % 24
        ):
            raise ValueError(
                f"extended_hours_end: equals extended_hours_start ({self.extended_hours_start}), "
                "so the shift would cover no hour or every hour; give a different end (before "
                "the start for an overnight shift) or shifts = '24x7'"
            )
        return self


# Staffing settings an account may set for itself (not set: the scenario's [staffing]);
# every other staffing setting (handling times, choice, effort) is shared by all accounts.
ACCOUNT_STAFFING = (
    "operators",
    "shifts",
    "extended_hours_start",
    "extended_hours_end",
    "skill_mean",
    "skill_sd",
    "training",
)
# An account's name: lower-case letters, digits and underscores, a letter first. It is
# the suffix of the account's metrics (`response_rate@weibo_city`), so it is short and
# may not be a platform's name (`response_rate@wechat` is the platform's metric).
ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _like_staffing(name: str) -> Any:
    """A field of an account that, when not set, takes `staffing.<name>` (same bounds)."""
    info = StaffingSettings.model_fields[name]
    bounds = {
        key: getattr(c, key)
        for c in info.metadata
        for key in ("ge", "gt", "le", "lt")
        if getattr(c, key, None) is not None
    }
    description, unit = split_unit(info.description or "")
    if unit:  # the unit stays last, where the reference reads it, after one full stop
        description = f"{description.rstrip('.')} [{unit}]."
    return Field(
        None,
        **bounds,
        description=f"This account's value; not set: `staffing.{name}`. {description}",
    )


# Account settings that adjust a rule of the account's platform (`simulation/platforms.py`).
PLATFORM_RULE_SETTINGS = (
    "auto_reply_share",
    "reply_window_hours",
    "call_minutes",
    "self_service_share",
    "caller_patience_minutes",
    "call_rhythm",
    "after_hours",
    "call_back_share",
)


def _platform_has(platform: Any, rule: str) -> bool:
    """Whether a platform has the rule an account setting of that name adjusts."""
    answer = platform.automatic_answer
    if rule in ("auto_reply_share", "self_service_share"):
        return answer is not None and answer.share_setting == rule
    if rule == "reply_window_hours":
        return platform.reply_window_hours is not None
    return bool(platform.calls)


class AccountSettings(Section):
    """One government account of a matrix: its platform, level, reach, staff and process.

    Declared as `[accounts.<name>]` tables; with none declared the model has exactly
    one account, built from `[staffing]`, `[mechanism]` and `population.follow_share`.
    Each setting left out takes that scenario-wide value. The departments are the
    scenario's `[departments]`, shared by every account that may refer to them.
    """

    platform: PlatformName = Field(
        "weibo",
        description="Platform the account runs on (`simulation/platforms.py`): 'weibo' "
        "(public @-mentions and private messages), 'wechat' (private messages only: they "
        "never spread) or 'hotline' (calls, private).",
    )
    level: LevelName = Field(
        "city",
        description="Administrative level of the body that runs the account, lowest first: "
        "'district' (county level), 'city', 'province', 'national'; recorded in the outputs, "
        "and a supervisor must be of a higher level than the accounts it supervises.",
    )
    supervisor: str | None = Field(
        None,
        max_length=40,
        description="The account (a name in `[accounts]`, of a higher level) that supervises "
        "this one: an escalation about this account's items may go to it as a complaint, "
        "which it forwards back with a deadline, tracks and appraises ([supervision]); "
        "for this account the explicit upper level then replaces "
        "`staffing.escalation_weight`. Not set: no explicit supervisor [name].",
    )
    follow_share: Probability | None = Field(
        None,
        description="Share of citizens following the account (each citizen independently); "
        "for a hotline, the share who know its number. Not set: "
        "`population.follow_share` [share].",
    )
    operators: int | None = _like_staffing("operators")
    shifts: ShiftName | None = _like_staffing("shifts")
    extended_hours_start: int | None = _like_staffing("extended_hours_start")
    extended_hours_end: int | None = _like_staffing("extended_hours_end")
    skill_mean: float | None = _like_staffing("skill_mean")
    skill_sd: float | None = _like_staffing("skill_sd")
    training: float | None = _like_staffing("training")
    mechanism: MechanismSettings | None = Field(
        None,
        description="The account's response mechanism, a table like `[mechanism]` "
        "(`[accounts.<name>.mechanism]`, e.g. preset = 'closed_loop'); not set: the "
        "scenario's `[mechanism]` [table].",
    )
    departments: list[str] | None = Field(
        None,
        max_length=1000,
        description="Departments (names in `[departments]`) the account's operators may "
        "refer items to; an item that needs another one cannot be referred from this "
        "account. Not set: every department [names].",
    )

    auto_reply_share: Probability | None = Field(
        None,
        description="Share of the messages to the account that match one of its keywords and "
        "get the platform's instant boilerplate auto-reply; the message still waits for a "
        "person. Only on a platform with keyword auto-replies (wechat). Not set: 0 (an "
        "account replies by keyword only to the keywords it sets up); no source gives the "
        "share, so any value is an assumption [share].",
    )
    reply_window_hours: float | None = Field(
        None,
        gt=0.0,
        le=MAX_HOURS,
        description="The account may reply (or post a department's answer) only this long "
        "after the citizen's last message; later, the item is closed as expired. Only on a "
        "platform with a reply window (wechat). Not set: the platform's rule, 48 hours "
        "(WeChat Official Accounts Platform, customer-service message rules) [hours].",
    )
    call_minutes: float | None = Field(
        None,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Mean length of a call an agent takes (exponential), whatever comes of "
        "it. Only on a platform of calls (hotline). Not set: 3 (Shanghai 12333, MODEL.md "
        "§7) [minutes].",
    )
    self_service_share: Probability | None = Field(
        None,
        description="Share of calls the self-service voice menu settles at once, without an "
        "agent (answered substantively). Only on a platform of calls (hotline). Not set: "
        "1/7, the share of calls handled entirely by self-service in a survey of UK contact "
        "centres (ContactBabel); for 12333 an assumption [share].",
    )
    caller_patience_minutes: float | None = Field(
        None,
        ge=0.01,
        le=WEEK_MINUTES,
        description="Mean time a caller queued for an agent waits before hanging up "
        "(exponential patience: the desk is Erlang A); a caller who hangs up gives up the "
        "need. Only on a platform of calls (hotline). Not set: 1.25 (75 s, the middle of the "
        "60-90 s often seen for voice callers, ccplanning.net; assumption for 12333) "
        "[minutes].",
    )

    call_rhythm: CallRhythm | None = Field(
        None,
        description="When callers call, by hour of the day: 24 non-negative weights from "
        "0:00 (each caller calls at an hour drawn from them, the first such time after "
        "the need arose), or 'needs' (they call when the need arises, on the population's "
        "daily rhythm). Only on a platform of calls (hotline). Not set: the hotline's "
        "daytime shares, peaks mid-morning and early afternoon, 91 % of calls 8:00-20:00 "
        "(assumption shaped after reports of Chinese government hotlines; "
        "`simulation/platforms.py`) [relative].",
    )
    after_hours: AfterHoursRule | None = Field(
        None,
        description="What a call meets that reaches the account when none of its agents is "
        "on duty and that the voice menu does not settle: 'closed' (the caller is told the "
        "hours and does not queue; a share `call_back_share` calls again in the next hours "
        "of human service, the others give up) or 'queue' (it queues as in hours, and the "
        "caller hangs up when their patience runs out). Only on a platform of calls "
        "(hotline). Not set: 'closed' [rule].",
    )
    call_back_share: Probability | None = Field(
        None,
        description="Share of the callers told the hours (after_hours = 'closed') who call "
        "again, at a time in the next hours of human service drawn from the call rhythm "
        "(a reminder: within `reactions.max_reminders`); the others give up the need. Only "
        "on a platform of calls (hotline). Not set: 1/3 (an industry statistic that a "
        "third of callers who abandon retry, Response Design Corporation; for callers "
        "told the hours an assumption) [share].",
    )

    @model_validator(mode="after")
    def _rules_of_its_platform(self) -> AccountSettings:
        rhythm = self.call_rhythm
        if isinstance(rhythm, list) and (len(rhythm) != 24 or sum(rhythm) <= 0):
            raise ValueError(
                "call_rhythm: must be 'needs' or 24 non-negative weights with a positive sum "
                f"(got {len(rhythm)} weights, sum {sum(rhythm):g})"
            )
        platform = PLATFORMS[self.platform]
        for name in PLATFORM_RULE_SETTINGS:
            if getattr(self, name) is not None and not _platform_has(platform, name):
                having = [p.name for p in PLATFORMS.values() if _platform_has(p, name)]
                raise ValueError(
                    f"{name}: the platform '{self.platform}' has no such rule; it may be set "
                    f"only for an account on {' or '.join(repr(p) for p in having)}"
                )
        return self

    def staffing(self, shared: StaffingSettings) -> StaffingSettings:
        """The account's staffing: `shared` with the settings this account sets."""
        own = {
            name: getattr(self, name)
            for name in ACCOUNT_STAFFING
            if getattr(self, name) is not None
        }
        if not own:
            return shared
        return StaffingSettings.model_validate({**shared.model_dump(), **own})


# Where a citizen turns among several accounts (`simulation/agents/channel_choice.py`).
MAX_PREFERENCE = 10.0  # a utility of ±10 already makes a choice all but certain [utility]
HOTLINE_PRIOR_SOURCE = (
    "assumption: a caller expects an agent within minutes (6 min = 0.1 h, about five "
    "times the 75 s mean patience of voice callers, ccplanning.net)"
)


# The wait a citizen expects of a written platform before any experience, and of any
# platform prior_wait_hours does not name [hours].
DEFAULT_PRIOR_WAIT_HOURS = 24.0


def _default_prior_waits() -> dict[str, float]:
    written = DEFAULT_PRIOR_WAIT_HOURS
    return {"weibo": written, "wechat": written, "hotline": 0.1}


def _default_kind_preferences() -> dict[str, dict[str, float]]:
    return {"complaint": {"weibo": 0.5}, "consultation": {"hotline": 0.5, "wechat": 0.25}}


class ChannelChoiceSettings(Section):
    """Where a citizen turns among several accounts, what they learn, and failover.

    Acts only in a scenario that declares two or more accounts (with one, every
    addressed need goes to it and nothing is drawn). An addressed need goes to one
    account by a logit choice: the weight of account k for citizen i is
    w_k (their follower share; `unfollowed_weight` × w_k if i does not follow it, and
    w_k for every account if i follows none) × exp(u_ik), with
    u_ik = kind_preference[kind][platform_k] + trust_public_slope · (0.5 − trust_i) ·
    [platform_k has public contacts] − wait_weight · ln(1 + E_ik / reactions.expected_reply_hours),
    where E_ik is the wait i expects at k, learned from their own contacts and from the
    replies and escalations of others that reach them. With wait_weight,
    trust_public_slope and every preference 0 the rule is the follower-share rule
    exactly. A citizen failed by an account (gave up, hung up, the reply window
    closed) may turn to another: a new contact linked to the first by its need
    (docs/ODD.md §7.14).
    """

    wait_weight: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Weight of the expected wait in the choice: an account's odds are "
        "multiplied by (1 + E / reactions.expected_reply_hours)^(-wait_weight), so at 1 an "
        "account expected to take the normal reply time has half the odds of one expected "
        "to answer at once, and one expected to take three times it a quarter; 0: waits do not matter (assumption) "
        "[utility/log wait].",
    )
    prior_wait_hours: dict[str, Annotated[float, Field(gt=0.0, le=MAX_HOURS)]] = Field(
        default_factory=_default_prior_waits,
        description="The wait each citizen expects of an account on each platform before "
        "any experience: Weibo and WeChat 24 h (the reply time citizens consider normal, "
        "reactions.expected_reply_hours' default; assumption), hotline 0.1 h "
        f"({HOTLINE_PRIOR_SOURCE}); platforms not named take 24 [hours].",
    )
    own_learning_rate: Probability = Field(
        0.5,
        description="Weight of a citizen's own latest experience of an account in the wait "
        "they expect there (exponential smoothing): the hours until the reply to their "
        "contact, or unanswered_wait_hours when they were failed; 0: no learning from "
        "experience (assumption) [weight].",
    )
    seen_learning_rate: Probability = Field(
        0.1,
        description="Weight of what a citizen sees of others in the same smoothing: a reply "
        "of an account that reaches them through the follower graph teaches that reply's "
        "wait, an escalation re-post (someone's patience ran out) teaches "
        "unanswered_wait_hours; only public posts spread, so what is private (WeChat, "
        "calls) is learned from one's own contacts alone; 0: none (assumption) [weight].",
    )
    unanswered_wait_hours: float = Field(
        168.0,
        gt=0.0,
        le=MAX_HOURS,
        description="The wait a citizen takes a contact left unanswered to show (they gave "
        "up, hung up, the reply window closed, or they see an escalation), or the time they "
        "actually waited if longer (assumption: a week, beyond which no answer counts as "
        "none) [hours].",
    )
    kind_preference: dict[str, dict[str, float]] = Field(
        default_factory=_default_kind_preferences,
        description="Utility of each platform for each kind of need, added to its log "
        "weight: {kind = {platform = utility}}, what is not named 0. Defaults "
        "(assumptions, directions only): complaints lean to Weibo, where they are public "
        "and spread (+0.5: odds x1.65), consultations to the hotline (+0.5) and WeChat "
        f"(+0.25), whose one-to-one exchange suits a question; each within ±{MAX_PREFERENCE:g} "
        "[utility].",
    )
    trust_public_slope: float = Field(
        1.0,
        ge=-10.0,
        le=10.0,
        description="How much more a citizen of low trust prefers a platform where the "
        "contact can be public (Weibo): utility + slope · (0.5 − trust); the direction "
        "follows distrust going with public, non-institutional voice (Hooghe & Marien "
        "2013, as channels.vent_trust_slope), the size is an assumption [utility/trust].",
    )
    unfollowed_weight: Probability = Field(
        0.0,
        description="Weight of an account a citizen does not follow against one they do, "
        "times its follower share; 0: a citizen who follows some account turns only among "
        "those they follow (one who follows none turns to any) (assumption) [ratio].",
    )
    failover_probability: Probability = Field(
        0.3,
        description="Chance that a citizen failed by an account (they gave up waiting, hung "
        "up, or the reply window closed) turns to another account about the same need "
        "(assumption) [probability].",
    )
    failover_delay_hours: float = Field(
        2.0,
        ge=0.0,
        le=MAX_DELAY_HOURS,
        description="Mean delay (exponential) from being failed to contacting the other "
        "account; 0: at once (assumption) [hours].",
    )
    max_failovers: int = Field(
        1,
        ge=0,
        le=10,
        description="Most other accounts one need is taken to after the first; each is "
        "tried at most once per need; 0: no failover (assumption) [contacts].",
    )

    @model_validator(mode="after")
    def _known_platforms_and_kinds(self) -> ChannelChoiceSettings:
        for platform in self.prior_wait_hours:
            _check_known(platform, PLATFORM_NAMES, "channel_choice.prior_wait_hours")
        for kind, table in self.kind_preference.items():
            _check_known(kind, NEED_KINDS, "channel_choice.kind_preference")
            for platform, utility in table.items():
                where = f"channel_choice.kind_preference.{kind}"
                _check_known(platform, PLATFORM_NAMES, where)
                if not -MAX_PREFERENCE <= utility <= MAX_PREFERENCE:
                    raise ValueError(
                        f"{where}.{platform} = {utility:g} must be within "
                        f"±{MAX_PREFERENCE:g} (a utility)"
                    )
        return self

    def prior_wait(self, platform: str) -> float:
        """The wait expected of an account on `platform` before any experience [hours]."""
        return float(self.prior_wait_hours.get(platform, DEFAULT_PRIOR_WAIT_HOURS))

    def preference(self, kind: str, platform: str) -> float:
        """Utility of `platform` for a need of `kind` (0 where not named)."""
        return float(self.kind_preference.get(kind, {}).get(platform, 0.0))


class SupervisionSettings(Section):
    """The explicit upper level: how supervising accounts handle complaints about the units below.

    Acts only where an account names a `supervisor`. A citizen whose escalation is about a
    supervised account's item complains to the supervisor (threatened authors always,
    others with `upward_probability`); the supervisor's operators screen it and forward
    it back with a deadline; the supervisor tracks it, appraises the units each period on
    their complaints, ranks them and reprimands those below the threshold
    (`simulation/supervision.py`, docs/ODD.md §7.15).
    """

    upward_probability: Probability = Field(
        0.2,
        description="Chance that the escalation of an author who stated no threat goes to "
        "the supervisor as a complaint, not only public (assumption) [probability].",
    )
    threat_upward_probability: Probability = Field(
        1.0,
        description="The same for an author who stated a threat to complain to upper levels "
        "(`population.threat_share`): they said they would (Chen, Pan & Xu 2016's "
        "'tattling' treatment; assumption that the threat is carried out) [probability].",
    )
    screening_minutes: float = Field(
        10.0,
        ge=MIN_TASK_MINUTES,
        le=WEEK_MINUTES,
        description="Mean time a supervisor's operator takes to read a complaint, find the "
        "responsible unit and forward it (exponential if staffing.handling_distribution is "
        "'exponential', else fixed) (assumption) [minutes].",
    )
    forward_deadline_working_days: int = Field(
        3,
        ge=1,
        le=60,
        description="Deadline the supervisor sets for the unit's reply to a forwarded "
        "complaint: closing time of the n-th working day after forwarding (assumption: "
        "a short deadline for supervised cases, against the 10-15 working days Guangdong "
        "12345 gives new requests and complaints) [working days].",
    )
    strength: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Standing pressure of the supervisor on every unit it supervises, on "
        "top of what its rankings and reprimands add (assumption: 0, the supervisor's "
        "pressure is what it does; reprimand_pressure is fitted with it at 0; on "
        "city_district_hierarchy each 0.1 adds about 1 pp to a stated threat's effect on "
        "the districts' replies, seeds 1-4) [pressure].",
    )
    period_days: int = Field(
        30,
        ge=1,
        le=365,
        description="How often the supervisor appraises the units (monthly rankings and "
        "reprimand meetings: assumption) [days].",
    )
    quality_weight: Probability = Field(
        0.0,
        description="Marks a complaint replied to on time but not substantively still "
        "earns (0: the supervisor counts only whether complaints are settled on time, as "
        "on-time completion rates do; 1: an empty reply counts as badly as none) "
        "(assumption) [marks/complaint].",
    )
    rankings: bool = Field(
        True,
        description="The supervisor publishes a ranking of its units each period; a unit's "
        "place adds pressure (ranking_pressure).",
    )
    ranking_pressure: float = Field(
        0.3,
        ge=0.0,
        le=10.0,
        description="Pressure a published ranking adds to the last-placed unit; the others "
        "in proportion to their place, none to the first (assumption; not fitted, since "
        "it orders the units rather than setting the level of pressure: with it alone, "
        "reprimand_pressure 0, a stated threat adds +3.7 pp [2.8, 4.6] to the districts' "
        "replies on city_district_hierarchy, seeds 1-16) [pressure].",
    )
    reprimand_below: Probability = Field(
        0.95,
        description="Score below which a unit is reprimanded (通报约谈) at the end of a "
        "period; the score is 1 minus its complaint marks per request it received "
        "(0: never) (assumption) [score].",
    )
    reprimand_pressure: float = Field(
        0.36,
        ge=0.0,
        le=10.0,
        description="Pressure a reprimand adds to the unit, decaying with "
        "reprimand_half_life_days. Calibrated: below the threshold (0.95) every district "
        "of city_district_hierarchy is reprimanded every period, so this sets the level "
        "of pressure from above, while the ranking only orders the units; fitted so that "
        "Chen, Pan & Xu (2016)'s stated threat raises the supervised districts' replies "
        "by 8 pp, the implicit level's target (`python experiments/supervision_pressure.py "
        "--parts calibration --jobs 2`: seeds 1-16, 10,000 citizens, 90 days, a fifth of "
        "authors state the threat; fitted 0.355 ± 0.039 (SE), rounded; at 0.4 the threat "
        "adds +8.8 pp [7.3, 10.2] to a reply rate of 0.34 without it, at 0 +3.7 pp) "
        "[pressure].",
    )
    reprimand_half_life_days: float = Field(
        30.0,
        gt=0.0,
        le=MAX_DAYS,
        description="Half-life of a reprimand's pressure (assumption: a reprimand is "
        "remembered for about a period) [days].",
    )


class MandateSettings(Section):
    """An institutional guarantee that requests are answered (the study's norms and policy).

    A rule or norm that the account must answer what it is asked, separate from the
    response process (`[mechanism]`) and from operators' own inclination
    (`staffing.reply_propensity`). Off by default: the status quo has no such guarantee.
    """

    reply_norm: float = Field(
        0.0,
        ge=0.0,
        le=5.0,
        description="Weight of the norm that requests are answered, added to the worth "
        "operators see in every action that leads to a reply (a reply, or a tracked "
        "referral); 0: no norm. Modelling assumption: the bundled reply_mandate uses 1.25, "
        "which lifts the calibrated -0.74 to +0.51, about the +0.5 the process presets used "
        "to assume "
        "[utility units].",
    )
    forbid_leaving: bool = Field(
        False,
        description="Audit: an item an operator takes may not be left; it must be replied to "
        "or referred (an untracked referral passes the audit without a reply). Items can "
        "still go unanswered when their authors give up before an operator takes them. "
        "Modelling assumption.",
    )


class KindDeadline(Section):
    """The reply deadline of one kind of need: clock hours or working days, not both."""

    hours: float | None = Field(
        None,
        gt=0.0,
        le=MAX_DEADLINE_HOURS,
        description="Deadline in clock hours; at most a year, 8760 [hours].",
    )
    working_days: int | None = Field(
        None,
        ge=1,
        le=60,
        description="Deadline at office closing time of the n-th working day after the day "
        "received [working days].",
    )

    @model_validator(mode="after")
    def _one_form(self) -> KindDeadline:
        if (self.hours is None) == (self.working_days is None):
            given = "both" if self.hours is not None else "neither"
            raise ValueError(
                f"give the deadline either as hours or as working_days ({given} given), "
                "e.g. {working_days = 2} or {hours = 48}"
            )
        return self


GUANGDONG_12345_SOURCE = (
    "Guangdong provincial 12345 government service hotline rules, as summarised in the "
    "model specification (MODEL.md §7): consultations answered within 2 working days, "
    "help-seeking requests and suggestions within 10, complaints within 15"
)


class AccountabilitySettings(Section):
    """Appraisal rule, its strength, period and disclosure (MODEL.md §4.7, §5)."""

    rule: RuleName = Field(
        "none",
        description="What appraisal scores: nothing, replies counted, replies within "
        "the deadline, or citizen satisfaction.",
    )
    strength: float = Field(
        1.0, ge=0.0, le=10.0, description="Weight of the appraisal in staff decisions [pressure]."
    )
    period_days: int = Field(7, ge=1, le=365, description="Appraisal period [days].")
    target: Probability = Field(
        0.8,
        description="Score below which a unit is under extra pressure (share replied, share on "
        "time, or satisfaction rescaled to 0-1) [score].",
    )
    shortfall_gain: float = Field(
        2.0,
        ge=0.0,
        le=20.0,
        description="Extra pressure per unit of shortfall below target (assumption) "
        "[pressure/score].",
    )
    relief_gain: float = Field(
        2.5,
        ge=0.0,
        le=20.0,
        description="Pressure shed per unit of score above target, as a share of strength: "
        "a unit comfortably above its target relaxes (assumption: at 2.5 a perfect score "
        "against the 0.8 target reaches the floor) [strength share/score].",
    )
    pressure_floor: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Least pressure while a rule is in force, as a share of strength: the "
        "ranking and its inspection go on however well a unit scores (assumption; 0: a "
        "unit far enough above target stops minding the rule) [share of strength].",
    )
    satisfaction_survey: Literal["replies", "all_closed"] = Field(
        "all_closed",
        description="Whom the satisfaction rule surveys: only citizens who got a reply, or "
        "every closed request, replied or given up, as 12345 hotlines' call-back surveys do "
        "(an abandoned request rates reactions.abandonment_satisfaction); each with "
        "reactions.rating_probability.",
    )
    public_disclosure: bool = Field(
        False, description="Rankings are published, which multiplies pressure."
    )
    disclosure_multiplier: float = Field(
        1.5,
        ge=1.0,
        le=10.0,
        description="Pressure multiplier under public disclosure (assumption) [ratio].",
    )
    deadline_hours: float | None = Field(
        48.0,
        gt=0.0,
        le=MAX_DEADLINE_HOURS,
        description="Reply deadline in clock hours (State Council 2016 No. 61: 48 h), at "
        "most a year, 8760 [hours]; used by the timeliness rule and the within-deadline "
        "metric.",
    )
    deadline_working_days: int | None = Field(
        None,
        ge=1,
        le=60,
        description="Reply deadline in working days (Guangdong 12345: 2 for consultations); "
        "replaces deadline_hours when set [working days].",
    )
    deadlines: dict[str, KindDeadline] | None = Field(
        None,
        description="Reply deadline by kind of need, each {hours = h} (clock hours) or "
        "{working_days = n} (office closing time of the n-th working day after the day "
        "received), e.g. {consultation = {working_days = 2}, complaint = {working_days = "
        f"15}}}}; {GUANGDONG_12345_SOURCE} (scenarios/guangdong_12345_deadlines.toml). Kinds "
        "not named take deadline_hours; not together with deadline_working_days [per kind].",
    )
    escalation_priority: bool = Field(
        True,
        description="Under a rule, escalated items (complaints upward) jump the queue.",
    )

    @model_validator(mode="after")
    def _one_deadline_form(self) -> AccountabilitySettings:
        if self.deadlines is not None and self.deadline_working_days is not None:
            raise ValueError(
                "deadline_working_days and deadlines are two forms of the reply deadline: "
                "set one of them (kinds that deadlines does not name take deadline_hours)"
            )
        return self


class BurstEvent(Section):
    """A scheduled burst of needs, e.g. after a pension-policy change."""

    type: Literal["burst"] = Field("burst", description="Event type: a burst of needs.")
    topic: str = Field(description="Topic whose needs are multiplied.")
    kinds: list[str] = Field(
        default_factory=lambda: ["consultation"], description="Kinds of need multiplied."
    )
    start_day: float = Field(
        ge=0.0,
        le=MAX_DAYS,
        description="Start, before the end of the run [day of run, may be fractional].",
    )
    duration_days: float = Field(gt=0.0, le=MAX_DAYS, description="Duration [days].")
    multiplier: float = Field(gt=0.0, le=1000.0, description="Rate multiplier [ratio].")


class RumourEvent(Section):
    """Rumour posts seeded at a given time, spreading with their own repost probability."""

    type: Literal["rumour"] = Field("rumour", description="Event type: rumour posts.")
    topic: str = Field(description="Topic the rumour is about.")
    day: float = Field(
        ge=0.0,
        le=MAX_DAYS,
        description="When the rumour appears, before the end of the run [day of run, fractional].",
    )
    posts: int = Field(
        1,
        ge=1,
        le=1000,
        description="Number of independent rumour posts; at most 1,000 (the bundled crisis "
        "seeds 5; each post is a cascade followed every hour: 10,000 posts take 19 s for "
        "two days of 200 citizens, 100,000 minutes) [posts].",
    )
    repost_probability: Probability = Field(
        0.05,
        description="Repost probability per exposure, used exactly (no multipliers); 0.05 "
        "with 20 accounts followed is near the epidemic threshold [probability].",
    )
    leaders_first: bool = Field(
        True, description="Rumours start from opinion leaders (else random citizens)."
    )


Event = Annotated[BurstEvent | RumourEvent, Field(discriminator="type")]


class Scenario(Section):
    """A complete, validated scenario."""

    name: str = Field("scenario", description="Short name, used in outputs.")
    description: str = Field("", description="The question this scenario answers.")
    run: RunSettings = Field(default_factory=RunSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    population: PopulationSettings = Field(default_factory=PopulationSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    diffusion: DiffusionSettings = Field(default_factory=DiffusionSettings)
    reactions: ReactionSettings = Field(default_factory=ReactionSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    mechanism: MechanismSettings = Field(default_factory=MechanismSettings)
    mandate: MandateSettings = Field(default_factory=MandateSettings)
    staffing: StaffingSettings = Field(default_factory=StaffingSettings)
    departments: dict[str, DepartmentSettings] = Field(default_factory=default_departments)
    accounts: dict[str, AccountSettings] = Field(
        default_factory=dict,
        description="The government's accounts, one `[accounts.<name>]` table each; none: "
        "one account built from `[staffing]`, `[mechanism]` and `population.follow_share`.",
    )
    channel_choice: ChannelChoiceSettings = Field(
        default_factory=ChannelChoiceSettings,
        description="Where a citizen turns among several accounts, the waits they learn and "
        "failover to another account; acts only with two or more accounts.",
    )
    supervision: SupervisionSettings = Field(
        default_factory=SupervisionSettings,
        description="How supervising accounts handle complaints about the accounts below "
        "them; acts only where an account names a `supervisor`.",
    )
    accountability: AccountabilitySettings = Field(default_factory=AccountabilitySettings)
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)

    @field_validator("departments")
    @classmethod
    def _some_department(cls, value: dict[str, DepartmentSettings]) -> dict:
        if not value:
            raise ValueError("at least one department is needed")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        pop = self.population
        _check_mix(pop.kind_mix, NEED_KINDS, "population.kind_mix")
        _check_mix(pop.topic_mix, tuple(self.departments), "population.topic_mix")
        for kind in NEED_KINDS:
            if kind not in self.channels.vent_probability:
                raise ValueError(f"channels.vent_probability needs a value for '{kind}'")
        for kind, value in self.channels.vent_probability.items():
            _check_known(kind, NEED_KINDS, "channels.vent_probability")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"channels.vent_probability.{kind} = {value} is not in [0, 1]")
        for quality in ("substantive", "partial", "boilerplate"):
            satisfaction = self.reactions.quality_satisfaction.get(quality)
            if satisfaction is None or not -1.0 <= satisfaction <= 1.0:
                raise ValueError(
                    f"reactions.quality_satisfaction.{quality} must be given, in [-1, 1]"
                )
        _check_known_keys(
            self.reactions.quality_satisfaction,
            ("substantive", "partial", "boilerplate"),
            "reactions.quality_satisfaction",
        )
        if isinstance(pop.daily_rhythm, list) and (
            len(pop.daily_rhythm) != 24 or min(pop.daily_rhythm) < 0 or sum(pop.daily_rhythm) <= 0
        ):
            raise ValueError(
                "population.daily_rhythm: must be 'weibo', 'flat' or 24 non-negative weights "
                f"with a positive sum (got {len(pop.daily_rhythm)} weights, sum "
                f"{sum(pop.daily_rhythm):g})"
            )
        if isinstance(pop.weekly_rhythm, list) and (
            len(pop.weekly_rhythm) != 7 or min(pop.weekly_rhythm) < 0 or sum(pop.weekly_rhythm) <= 0
        ):
            raise ValueError(
                "population.weekly_rhythm: must be 'flat' or 7 non-negative weights, Monday "
                f"to Sunday, with a positive sum (got {len(pop.weekly_rhythm)} weights, sum "
                f"{sum(pop.weekly_rhythm):g})"
            )
        for kind in self.accountability.deadlines or {}:
            _check_known(kind, NEED_KINDS, "accountability.deadlines")
        for name in self.departments:
            if name not in pop.topic_mix:
                raise ValueError(
                    f"departments.{name}: no work would reach it: departments are the topics, "
                    f"and '{name}' has no share in population.topic_mix"
                    f"{did_you_mean(name, tuple(pop.topic_mix))}; topics: "
                    f"{', '.join(pop.topic_mix)} (to add a department, give it a share there)"
                )
        for i, event in enumerate(self.events):
            _check_known(event.topic, tuple(self.departments), f"events[{i}].topic")
            if isinstance(event, BurstEvent):
                for kind in event.kinds:
                    _check_known(kind, NEED_KINDS, f"events[{i}].kinds")
        for day in self.calendar.holidays:
            if day < 0:
                raise ValueError(f"calendar.holidays: day {day} is negative")
        for name, account in self.accounts.items():
            self._check_account(name, account)
        if self.channel_choice.model_fields_set and len(self.accounts) < 2:
            raise ValueError(
                "channel_choice: these settings act only where citizens choose among "
                "accounts; declare two or more [accounts.<name>] tables or leave "
                "[channel_choice] out"
            )
        if self.supervision.model_fields_set and not self.supervised:
            raise ValueError(
                "supervision: these settings act only on accounts that name a supervisor; "
                "give an account one (accounts.<name>.supervisor = '<higher-level account>') "
                "or leave [supervision] out"
            )
        return self

    @property
    def supervised(self) -> bool:
        """Whether some account names a supervisor (an explicit upper level)."""
        return any(account.supervisor is not None for account in self.accounts.values())

    def _check_account(self, name: str, account: AccountSettings) -> None:
        where = f"accounts.{name}"
        if not ACCOUNT_NAME.fullmatch(name):
            raise ValueError(
                f"{where}: an account's name is 1 to 40 lower-case letters, digits or "
                f"underscores, starting with a letter (it names the account's metrics, "
                f"e.g. response_rate@{name.lower() if name.isidentifier() else 'weibo_city'})"
            )
        if name in PLATFORM_NAMES:
            raise ValueError(
                f"{where}: '{name}' is a platform's name, which names the platform's metrics "
                f"(response_rate@{name}); call the account e.g. '{name}_city'"
            )
        for department in account.departments or ():
            _check_known(department, tuple(self.departments), f"{where}.departments")
        if account.supervisor is not None:
            self._check_supervisor(name, account)
        mechanism = account.mechanism
        if mechanism is not None:
            # The departments are shared, so they coordinate as [mechanism] says.
            shared = self.mechanism.coordination
            if "coordination" not in mechanism.model_fields_set:
                object.__setattr__(mechanism, "coordination", shared)
            elif mechanism.coordination != shared:
                raise ValueError(
                    f"{where}.mechanism.coordination: the departments are shared by every "
                    f"account, so they coordinate as mechanism.coordination says ('{shared}'); "
                    "set it there, or leave it out here"
                )
        try:
            account.staffing(self.staffing)
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            named = message.split(": ", 1)
            if len(named) == 2 and named[0] in ACCOUNT_STAFFING:
                field, message = named
            raise ValueError(f"{where}.{field or 'shifts'}: {message}") from None

    def _check_supervisor(self, name: str, account: AccountSettings) -> None:
        where = f"accounts.{name}.supervisor"
        supervisor = account.supervisor
        others = tuple(n for n in self.accounts if n != name)
        if supervisor == name:
            raise ValueError(f"{where}: an account cannot supervise itself")
        if supervisor not in self.accounts:
            raise ValueError(
                f"{where}: unknown account '{supervisor}'{did_you_mean(supervisor, others)}; "
                f"declared: {', '.join(others) or 'none other'}"
            )
        above = self.accounts[supervisor]
        # Levels strictly rise along every chain of supervisors, so no chain is a cycle.
        if ADMINISTRATIVE_LEVELS.index(above.level) <= ADMINISTRATIVE_LEVELS.index(account.level):
            raise ValueError(
                f"{where}: '{supervisor}' is a {above.level}-level account and cannot supervise "
                f"this {account.level}-level one; a supervisor's level must be higher "
                f"(levels, lowest first: {', '.join(ADMINISTRATIVE_LEVELS)})"
            )

    # ------------------------------------------------------------------ helpers

    @property
    def topics(self) -> list[str]:
        """The topics: the names of the departments, in order."""
        return list(self.departments)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every resolved field (TOML- and JSON-safe: no None values).

        A scenario that declares no accounts has no `accounts` key (its one account is
        made of the scenario-wide sections), so its content hash is what it always was.
        """
        data = _drop_none(self.model_dump(mode="json"))
        if not data.get("accounts"):
            data.pop("accounts", None)
        if not self.supervised:
            data.pop("supervision", None)  # inert without a supervisor: hashes stay
        if len(self.accounts) < 2:
            data.pop("channel_choice", None)  # inert with one account: hashes stay
        return data

    def to_toml(self) -> str:
        """The scenario as TOML text (see `to_dict`)."""
        return tomli_w.dumps(self.to_dict())

    def content_hash(self) -> str:
        """Hash of what determines the outcome: every field except name and description."""
        data = self.to_dict()
        data.pop("name", None)
        data.pop("description", None)
        data.get("run", {}).pop("seed", None)
        if self.network.edge_list:
            data["network"]["edge_list"] = _file_digest(Path(self.network.edge_list))
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def with_overrides(self, overrides: dict[str, Any] | list[str]) -> Scenario:
        """A new scenario with dotted overrides applied (`{"staffing.operators": 6}`)."""
        raw = self.to_dict()
        # Mechanism settings the preset filled in stay unset, so a new preset fills them.
        raw["mechanism"] = _explicit_mechanism(self.mechanism, raw["mechanism"])
        for name, account in self.accounts.items():
            if account.mechanism is not None:
                table = raw["accounts"][name]
                table["mechanism"] = _explicit_mechanism(account.mechanism, table["mechanism"])
        for key, value in parse_overrides(overrides):
            set_dotted(raw, key, value)
        return validate(raw, OVERRIDES)


def _explicit_mechanism(mechanism: MechanismSettings, dumped: dict[str, Any]) -> dict[str, Any]:
    """The settings of a mechanism that were given (the preset fills the others)."""
    explicit = mechanism.model_fields_set | {"preset"}
    return {k: v for k, v in dumped.items() if k in explicit}


def event_start_day(event: BurstEvent | RumourEvent) -> tuple[str, float]:
    """The field naming when an event starts, and its value [day of run]."""
    if isinstance(event, BurstEvent):
        return "start_day", event.start_day
    return "day", event.day


def check_event_days(scenario: Scenario, file_days: int | None, source: str) -> None:
    """Refuse an event that starts after the end of the run its own file sets.

    `file_days` is the file's run.days (None if it sets no valid one); `source` the
    file. A run shortened afterwards (`--days`, an override) gets warnings instead
    (`events_after_run`). Raises ScenarioError naming the event's field.
    """
    if file_days is None:
        return
    for i, event in enumerate(scenario.events):
        name, day = event_start_day(event)
        if day >= file_days:
            raise ScenarioError(
                source,
                f"events[{i}].{name}",
                f"day {day:g} is not within the run: run.days = {file_days}, so this "
                f"{event.type} would never happen; allowed: 0 ≤ {name} < {file_days}",
            )


def events_after_run(scenario: Scenario) -> list[str]:
    """A warning for each event that starts after the end of a (shortened) run."""
    days = scenario.run.days
    warnings = []
    for i, event in enumerate(scenario.events):
        name, day = event_start_day(event)
        if day >= days:
            warnings.append(
                f"events[{i}].{name} = {day:g} is after the end of the {days}-day run; "
                f"this {event.type} does not happen"
            )
    return warnings


def _check_mix(mix: dict[str, float], allowed: tuple[str, ...], where: str) -> None:
    for key, value in mix.items():
        _check_known(key, allowed, where)
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"{where}.{key} = {value} must be a non-negative number")
    if sum(mix.values()) <= 0:
        raise ValueError(f"{where} must have a positive total")


def _check_known(key: str, allowed: tuple[str, ...], where: str) -> None:
    if key not in allowed:
        hint = did_you_mean(key, allowed)
        raise ValueError(f"{where}: unknown '{key}'{hint}; allowed: {', '.join(allowed)}")


def _check_known_keys(mapping: dict, allowed: tuple[str, ...], where: str) -> None:
    for key in mapping:
        _check_known(key, allowed, where)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _file_digest(path: Path) -> str:
    from simulation.inputs import EDGE_LIST, input_digest  # checked and read in chunks
    from simulation.scenario.errors import ScenarioError

    try:
        return input_digest(path, EDGE_LIST)[:16]
    except ScenarioError:
        return str(path)


# --------------------------------------------------------------------------- validation


def validate(raw: dict[str, Any], source: str) -> Scenario:
    """The scenario a raw dict describes; ScenarioError naming `source` and the field."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, source, Scenario) from None


def scenario_hash(scenario: Scenario) -> str:
    """The scenario's content hash (`Scenario.content_hash`)."""
    return scenario.content_hash()
