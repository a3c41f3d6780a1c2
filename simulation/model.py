"""GovernmentResponseModel: the world, and the order of one step.

One step is one simulated hour [t, t + 1). `step()` runs these phases, in order:

1. `arise_needs`      new needs by kind and topic: daily rhythm, events, what releases taught
2. `choose_channels`  each need is @-mentioned, sent privately, vented in public or kept;
                      follow-ups and reminders due this hour re-open their items;
                      scheduled rumours appear
3. `diffuse`          posts spread one generation over the follower graph; exposures move
                      trust; monitoring pulls trending vents and rumours into the inbox
4. `operators_work`   operators on shift take items by queue discipline and reply, refer,
                      brush off or leave them; publish releases; clarify rumours
5. `departments_work` departments in office hours process referred items (silo or joint)
6. `citizens_react`   citizens judge replies (satisfaction, trust, ratings); those whose
                      patience ran out escalate or give up
7. `appraise`         at the end of each appraisal period, score staff and update pressure
8. `collect`          daily metrics at the end of each day (and Mesa's DataCollector)

Everything random draws from named streams of one root seed (`simulation.streams`).

Mesa's own tools work on the model: `model.datacollector` is a `mesa.DataCollector`
whose model reporters are the daily series' columns (`day` and every column of
`model.metrics.daily_frame()`), collected once at the end of each simulated day (after
hour 24·d + 23, when `model.time` is 24·(d + 1)). Row d is day d of the daily table as
it stood then; only `largest_cascade`, counted on the day a cascade started, may grow in
the final table as that cascade spreads on. `rng=` seeds the model as `seed=` does, and
`model.running` turns False after the last hour, so `mesa.batch_run` runs it to its
horizon.
"""

from __future__ import annotations

from functools import partial

import mesa
import numpy as np

from simulation import __version__
from simulation.accountability import Appraisal, make_rule, reply_deadline
from simulation.accounts import Account, AccountPlan, AccountRouter, account_plans
from simulation.agents.channel_choice import ChannelChoice, Failover, WaitLearning
from simulation.agents.choice import Foresight
from simulation.agents.citizen import EAGER_CITIZEN_LIMIT, Citizens, Population, Public
from simulation.agents.department import Department, ReferralBook
from simulation.agents.operator import Inbox, Monitoring, Operator, OperatorDesk
from simulation.calendar import Calendar
from simulation.codes import HOURS_PER_DAY, OPEN, REFERRED
from simulation.diffusion import DiffusionEngine, Spreading
from simulation.events import DayEnded, EventBus, HourEnded
from simulation.graph_cache import GraphCache, graph_key
from simulation.items import ItemLifecycle, ItemStore
from simulation.mechanisms.coordination import COORDINATIONS
from simulation.metrics import MetricsRecorder, PlatformMetrics, UnitMetrics, summarise
from simulation.network import FollowerGraph, build_graph
from simulation.platform_rules import (
    AfterHours,
    AutomaticAnswers,
    CallerPatience,
    CallTimes,
    ReplyWindow,
)
from simulation.resources import out_of_memory
from simulation.scenario import Scenario, ScenarioError
from simulation.schedule import Schedule
from simulation.streams import Streams
from simulation.supervision import Supervision
from simulation.timing import PhaseTimer

# The phases of one hour, in the order `GovernmentResponseModel.step` runs them (and the
# module docstring lists them); named once for whatever times or checks them.
STEP_PHASES = (
    "arise_needs",
    "choose_channels",
    "diffuse",
    "operators_work",
    "departments_work",
    "citizens_react",
    "appraise",
    "collect",
)


class GovernmentResponseModel(mesa.Model):
    """A government account, its operators and departments, and the public it serves.

    The model builds the world and runs the phases of a step in order; what happens in
    each phase is the business of the part it delegates to (citizens, operators,
    departments, diffusion, appraisal). Everything that happens is published on
    `model.events` (`simulation.events`): subscribe there to observe a run.

    `create_citizen_agents` says how `model.citizens` holds the citizens
    (`simulation.agents.citizen.Citizens`): True makes every citizen a registered Mesa
    agent when the model is built, False makes each a light view on demand, and None
    (the default) does the first up to `EAGER_CITIZEN_LIMIT` citizens (200,000) and the
    second above it. Outputs are the same either way.

    `graph_cache` (`simulation.graph_cache.GraphCache`): take the follower graph from it
    when an earlier run with the same seed and graph settings built it (its arrays are
    then read-only and shared); outputs are the same as with a graph of its own.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | None = None,
        days: int | None = None,
        create_citizen_agents: bool | None = None,
        *,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        graph_cache: GraphCache | None = None,
    ):
        scenario = scenario or Scenario()
        self.scenario = scenario
        if seed is not None and rng is not None:
            raise ValueError("give the seed as seed= or as rng=, not both")
        chosen = seed if seed is not None else rng
        self.seed = scenario.run.seed if chosen is None else root_seed(chosen)
        self.streams = Streams(self.seed)
        super().__init__(rng=self.streams.seed_sequence("mesa"))
        self.days = scenario.run.days if days is None else int(days)
        self.version = __version__
        self.scenario_hash = scenario.content_hash()
        self.hour = 0  # start of the hour being simulated (steps done so far)

        timer = PhaseTimer()
        self.events = EventBus()
        self.calendar = Calendar(scenario, self.days)
        self.plans = account_plans(scenario)
        several = len(self.plans) > 1
        try:  # the follower graph and the citizens' arrays: the build's large allocations
            self.graph = self._follower_graph(graph_cache)
            timer.lap("graph")
            self.population = Population(
                scenario,
                self.graph.n_citizens,
                self.graph.follows_government,
                self.graph.is_leader,
                self.streams["population"],
            )
            timer.lap("population")
        except MemoryError as error:
            raise out_of_memory(scenario, self.days) from error
        self.items = ItemStore(capacity=1024)
        self.lifecycle = ItemLifecycle(self.items, self.events)
        # Per account and platform metrics only where the scenario declares accounts, so a
        # scenario that does not keeps exactly its outputs.
        units = (
            UnitMetrics(
                self.days,
                self.items,
                self.events,
                [plan.name for plan in self.plans],
                [plan.platform.name for plan in self.plans],
                self.graph.account_node(0),
                [plan.staffing.operators for plan in self.plans],
            )
            if scenario.accounts
            else None
        )
        self.metrics = MetricsRecorder(self.days, self.items, self.events, units)
        if units is not None:
            self.metrics.platforms = PlatformMetrics(
                self.items,
                self.events,
                units,
                frozenset(plan.index for plan in self.plans if plan.rules.calls),
            )
        self.diffusion = DiffusionEngine(self.graph, self.streams["diffusion"])
        self.spreading = Spreading(self.diffusion, scenario.diffusion, self.lifecycle, self.events)
        self.rule = make_rule(scenario.accountability)
        self.deadline_for = reply_deadline(scenario.accountability, self.calendar)
        callers = CallerPatience(self.plans, self.streams["caller_patience"])
        # Hotline callers: when they call (the call rhythm), and what a call out of the
        # agents' hours meets (their own streams: other parts draw as without them).
        call_times = CallTimes(self.plans, self.streams["call_times"])
        after_hours = AfterHours(
            self.plans,
            [self._agents_on_duty(plan) for plan in self.plans],
            self.lifecycle,
            self.events,
            self.streams["call_backs"],
            scenario.reactions.max_reminders,
        )
        self.schedule = Schedule(
            scenario, self.population, self.lifecycle, self.spreading, self.streams["events"]
        )
        # Where citizens turn among several accounts (`simulation.agents.channel_choice`).
        choice = (
            ChannelChoice(
                scenario.channel_choice,
                self.plans,
                self.population,
                scenario.reactions.expected_reply_hours,
            )
            if several
            else None
        )
        router = AccountRouter(
            self.plans,
            self.graph.follows_accounts,
            self.streams["account_choice"] if several else None,
            choice,
            scenario.channel_choice.unfollowed_weight,
        )
        self.public = Public(
            scenario,
            self.population,
            self.lifecycle,
            self.events,
            self.spreading,
            self.schedule,
            self.deadline_for,
            self.streams,
            router,
            callers if callers.any else None,
            call_times if call_times.any else None,
            after_hours if after_hours.any else None,
        )
        if choice is not None:  # several accounts: citizens learn waits and fail over
            choice_settings = scenario.channel_choice
            self.wait_learning = WaitLearning(
                choice, self.items, self.events, self.graph.n_citizens
            )
            self.public.failover = Failover(
                choice_settings,
                router,
                self.population,
                self.items,
                self.events,
                self.streams["failover"],
                scenario.channels.public_share,
                callers.mean_hours,
                self.public.post_failover,
            )
        timer.lap("parts")
        # Citizens as Mesa agents: made and registered now up to EAGER_CITIZEN_LIMIT
        # (or when asked), otherwise views made on demand (`Citizens` says what differs).
        eager = (
            self.graph.n_citizens <= EAGER_CITIZEN_LIMIT
            if create_citizen_agents is None
            else create_citizen_agents
        )
        self.citizens = Citizens(self, self.population, self.graph, self.items, eager)
        timer.lap("citizen agents")
        self._build_staff()
        self.last_day: dict[str, float] = {}  # the daily series' row of the last day ended
        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: partial(_last_day_value, name=name)
                for name in ["day", *self.metrics.daily_columns(slice(0, 0))]
            }
        )
        timer.lap("staff")
        # Wall time of each phase of building the world [s], for the benchmark; the
        # graph's own phases ("graph: generator", ...) follow its total.
        graph_phases = {f"graph: {k}": v for k, v in self.graph.build_seconds.items()}
        phases = timer.seconds
        self.build_seconds = {"graph": phases.pop("graph"), **graph_phases, **phases}

    def _follower_graph(self, cache: GraphCache | None) -> FollowerGraph:
        """The run's follower graph: built, or the same one from `cache` (read-only)."""

        def build() -> FollowerGraph:
            return build_graph(
                self.scenario.network,
                self.scenario.population.citizens,
                self.plans[0].follow_share,
                self.streams["network"],
                [
                    (p.follow_share, self.streams.member("account_followers", p.index))
                    for p in self.plans[1:]
                ],
            )

        if cache is None:
            return build()
        try:
            key = graph_key(self.scenario, self.seed, [p.follow_share for p in self.plans])
        except ScenarioError:  # an edge list that cannot be read: building says why
            return build()
        return cache.get(key, build)

    # Mesa 3.5 has a `scenario` property of its own that writes `scenario.model`; ours is
    # an immutable, validated description of the run and stays free of back-references.
    @property
    def scenario(self) -> Scenario:
        """The validated scenario this model runs."""
        return self._settings

    @scenario.setter
    def scenario(self, value: Scenario) -> None:
        if isinstance(value, Scenario):
            self._settings = value
        else:  # Mesa's own experimental scenario object, set by mesa.Model.__init__
            self._mesa_scenario = value

    @property
    def knowledge(self) -> np.ndarray:
        """What releases taught citizens, per topic [0-1]."""
        return self.public.knowledge

    # ------------------------------------------------------------------ set-up

    def _build_staff(self) -> None:
        scenario = self.scenario
        staffing = scenario.staffing
        mechanism = scenario.mechanism
        assert mechanism.coordination is not None  # the preset fills it
        # Departments are shared by the accounts: they coordinate as [mechanism] says.
        coordination = COORDINATIONS[mechanism.coordination](
            staffing.silo_handoff_hours, staffing.department_coordination_hours
        )
        # Mesa numbers agents in the order they are made: citizens, operators, departments.
        self.departments: list[Department] = []
        foresight = Foresight(
            scenario.reactions,
            self.population.quality_satisfaction,
            self.departments,
            coordination,
            staffing.partial_reply_value,
            staffing.boilerplate_reply_value,
        )
        self.operators: list[Operator] = []
        account_operators = [self._make_operators(plan, foresight) for plan in self.plans]
        office = self.calendar.shift_pattern("office_hours")
        office_day = scenario.calendar.office_hours_end - scenario.calendar.office_hours_start
        self.departments.extend(
            Department(
                self,
                topic,
                name,
                settings,
                office,
                office_day,
                staffing,
                coordination,
                self.lifecycle,
                self.events,
                self.rule,
                self.streams["departments"],
            )
            for topic, (name, settings) in enumerate(scenario.departments.items())
        )
        for department in self.departments:
            department.foresight = foresight
        self.referrals = ReferralBook(
            self.departments,
            coordination,
            self.lifecycle,
            self.events,
            staffing.turnaround_learning_rate,
        )
        several = len(self.plans) > 1
        # Platform rules that act on a contact as it arrives, before any desk hears of it.
        self.automatic_answers = AutomaticAnswers(
            self.plans, self.lifecycle, self.events, self.streams
        )
        self.accounts: list[Account] = []
        inbox: Inbox | None = None
        for plan, operators in zip(self.plans, account_operators, strict=True):
            hours = plan.rules.reply_window_hours
            window = (
                None
                if hours is None
                else ReplyWindow(plan.index, hours, self.lifecycle, self.events)
            )
            if inbox is None:  # heard where the first desk would be
                inbox = Inbox(self.items, self.events)
            desk = OperatorDesk(
                operators,
                self.lifecycle,
                self.events,
                self.spreading,
                self.referrals,
                plan.mechanism,
                scenario.accountability,
                plan.staffing,
                scenario.diffusion,
                self.population.topic_mix,
                self.graph.account_node(plan.index),
                # Account 0 draws release topics as the one account does; others their own.
                self.streams.member("releases", plan.index)
                if plan.index
                else self.streams["releases"],
                inbox,
                account=plan.index,
                first_operator=operators[0].index if operators else len(self.operators),
                shared=several,
                window=window,
                calls=plan.rules.calls,
            )
            monitoring = Monitoring(
                plan.mechanism,
                self.lifecycle,
                self.deadline_for,
                self.public.patience,
                self.events,
                account=plan.index,
            )
            self.accounts.append(Account(plan, operators, desk, monitoring))
        # The explicit upper level, where an account names a supervisor.
        self.supervision: Supervision | None = None
        self.work_order = self.accounts
        if scenario.supervised:
            names = [plan.name for plan in self.plans]
            self.supervision = Supervision(
                scenario.supervision,
                scenario.reactions,
                self.accounts,
                [
                    None if a.supervisor is None else names.index(a.supervisor)
                    for a in scenario.accounts.values()
                ],
                self.lifecycle,
                self.events,
                self.calendar,
                self.streams,
                staffing.handling_distribution == "exponential",
            )
            self.work_order = self.supervision.work_order()
            if self.metrics.units is not None:  # a supervisor is a declared account
                self.metrics.units.watch(self.supervision)
        self.operator_desk = self.accounts[0].desk  # the first account's (with one, the desk)
        self.monitoring = self.accounts[0].monitoring
        self.appraisal = Appraisal(
            scenario.accountability,
            self.rule,
            self.operators,
            self.departments,
            self.items,
            self.events,
            scenario.reactions,
            self.streams["survey"],
        )

    def _agents_on_duty(self, plan: AccountPlan) -> np.ndarray:
        """Whether any of the account's operators is on duty, each hour of the run."""
        staffing = plan.staffing
        if not staffing.operators:
            return np.zeros(self.calendar.horizon_days * HOURS_PER_DAY, dtype=bool)
        return self.calendar.shift_pattern(
            staffing.shifts, (staffing.extended_hours_start, staffing.extended_hours_end)
        )

    def _make_operators(self, plan: AccountPlan, foresight: Foresight) -> list[Operator]:
        """The account's operators, numbered on from the operators made so far.

        Each operator draws skill and decisions from streams of their own (by their index
        among all operators), so adding an operator or an account leaves the others as
        they were (and skill draws never shift decisions).
        """
        staffing = plan.staffing
        on_duty = self.calendar.shift_pattern(
            staffing.shifts, (staffing.extended_hours_start, staffing.extended_hours_end)
        )
        every_department = len(plan.departments) == len(self.scenario.departments)
        made = []
        for _ in range(staffing.operators):
            index = len(self.operators)
            skill = min(
                1.0,
                _beta_with_mean_sd(
                    staffing.skill_mean,
                    staffing.skill_sd,
                    1,
                    self.streams.member("operator_skills", index),
                )[0]
                + staffing.training,
            )
            operator = Operator(
                self,
                index,
                float(skill),
                on_duty,
                staffing,
                plan.mechanism,
                self.scenario.mandate,
                self.lifecycle,
                foresight,
                self.rule,
                self.streams.member("operator_decisions", index),
                referable=None if every_department else plan.departments,
                call_minutes=plan.rules.call_minutes,
            )
            self.operators.append(operator)
            made.append(operator)
        return made

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one hour; the phases run in the order of the module docstring.

        Called through Mesa's clock: `model.step()` advances `model.time` by one.
        """
        t = self.hour
        self.arise_needs(t)
        self.choose_channels(t)
        self.diffuse(t)
        self.operators_work(t)
        self.departments_work(t)
        self.citizens_react(t)
        self.appraise(t)
        self.collect(t)
        self.hour = t + 1
        self.population.now = float(self.hour)  # trust read between steps is read now
        if self.hour >= self.days * HOURS_PER_DAY:
            self.running = False  # the horizon: Mesa's loops (batch_run, run_model) stop here

    def run(self, progress=None) -> None:
        """Run every hour of the scenario; `progress(hours_done)` is called once a day."""
        total = self.days * HOURS_PER_DAY
        while self.hour < total:
            self.step()
            if progress is not None and self.hour % HOURS_PER_DAY == 0:
                progress(self.hour)

    def arise_needs(self, t: int) -> None:
        """Phase 1: this hour's needs, by kind and topic (citizens)."""
        self.public.arise_needs(t)

    def choose_channels(self, t: int) -> None:
        """Phase 2: citizens post their needs and repeat contacts; scheduled rumours appear."""
        self.public.post_needs(t)
        self.public.post_repeat_contacts(t)
        self.schedule.seed_rumours(t)

    def diffuse(self, t: int) -> None:
        """Phase 3: every post in flight spreads; exposures move trust; monitoring listens."""
        self.spreading.advance_hour(t)

    def operators_work(self, t: int) -> None:
        """Phase 4: operators on shift work through their account's inbox for this hour.

        Supervising accounts work first (`Supervision.work_order`), so what they forward
        reaches the units' inboxes at its exact time.
        """
        for account in self.work_order:
            account.desk.work(float(t), float(t + 1))

    def departments_work(self, t: int) -> None:
        """Phase 5: departments process referred items in their office hours."""
        for department in self.departments:
            department.work(float(t), float(t + 1))

    def citizens_react(self, t: int) -> None:
        """Phase 6: citizens judge this hour's replies; past patience, escalate or give up."""
        self.public.react(t)

    def appraise(self, t: int) -> None:
        """Phase 7: at the end of an appraisal period, score staff and set pressure."""
        self.appraisal.appraise(t)

    def collect(self, t: int) -> None:
        """Phase 8: the hour is over; at the end of a day, its work and stocks."""
        self.events.publish(HourEnded(t))
        if (t + 1) % HOURS_PER_DAY:
            return
        busy = reserved = duty = 0.0
        now = float(t)
        by_account = []
        for account in self.accounts:
            b, r, d = account.desk.desk.reset_counters()
            busy += b
            reserved += r
            duty += d
            if self.metrics.units is not None:
                by_account.append((b + r, d, float(account.desk.backlog(now))))
        department_busy = department_duty = 0.0
        for department in self.departments:
            b, _, d = department.desk.reset_counters()
            department_busy += b
            department_duty += d
        status = self.items.view("status")
        trust = self.population.trust_at(float(t + 1))  # at the end of the day
        stocks = {
            "backlog_operators": self.operator_backlog(now),
            "backlog_departments": sum(d.backlog(now) for d in self.departments),
            "open_items": int(np.count_nonzero(status == OPEN)),
            "referred_items": int(np.count_nonzero(status == REFERRED)),
            "mean_trust": float(trust.mean()),
            "trust_sd": float(trust.std()),
        }
        day = t // HOURS_PER_DAY
        self.events.publish(
            DayEnded(
                day,
                busy + reserved,
                duty,
                department_busy,
                department_duty,
                stocks,
                tuple(by_account),
            )
        )
        # Once a day, never hourly: the DataCollector reads the row the metrics just closed.
        self.last_day = {"day": day, **self.metrics.day_values(day)}
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ results

    def operator_backlog(self, now: float) -> int:
        """Items waiting for an operator at `now`, over every account's inbox."""
        return sum(account.desk.backlog(now) for account in self.accounts)

    def summary(self) -> dict[str, float]:
        """The run's summary metrics so far (`simulation.metrics.METRICS`)."""
        return summarise(self)

    def provenance(self) -> dict[str, object]:
        """What identifies this run: scenario, its hash, seed, version, days, citizens."""
        return {
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "version": self.version,
            "days": self.days,
            "citizens": self.graph.n_citizens,
        }


def root_seed(value: int | np.integer | np.random.SeedSequence | np.random.Generator) -> int:
    """The model's root seed from a seed or anything Mesa accepts as `rng`.

    An int is the seed itself; a SeedSequence gives the first word of its state; a
    Generator gives one draw of its own (so a given generator in a given state always
    gives the same run).
    """
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1, dtype=np.uint32)[0])
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**31))
    return int(value)


def daily_column_names() -> list[str]:
    """`day` and every column of the daily series, in the order of `daily_frame`."""
    return ["day", *MetricsRecorder(1).daily_columns()]


def _last_day_value(model: GovernmentResponseModel, name: str) -> float:
    """A DataCollector reporter: one column of the row of the day that just ended."""
    return model.last_day[name]


MIN_BETA_SD = 1e-6


def _beta_with_mean_sd(mean: float, sd: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Beta draws with a given mean and standard deviation (constant when sd is 0).

    A spread below `MIN_BETA_SD` counts as none: its square underflows (or its Beta
    parameters overflow), and the draws would all be the mean anyway.
    """
    if sd < MIN_BETA_SD or mean <= 0.0 or mean >= 1.0:
        return np.full(size, mean)
    var = min(sd**2, mean * (1.0 - mean) * 0.99)
    common = mean * (1.0 - mean) / var - 1.0
    return rng.beta(mean * common, (1.0 - mean) * common, size=size)
