"""GovernmentResponseModel: the world, and the order of one step.

One step is one simulated hour [t, t + 1). `step()` runs these phases, in order:

1. `arise_needs`      new needs by kind and topic: daily rhythm, events, what releases taught
2. `choose_channels`  each need is @-mentioned, sent privately, vented in public or kept;
                      scheduled rumours appear
3. `diffuse`          posts spread one generation over the follower graph; exposures move
                      trust; monitoring pulls trending vents and rumours into the inbox
4. `operators_work`   operators on shift take items by queue discipline and reply, refer,
                      brush off or leave them; publish releases; clarify rumours
5. `departments_work` departments in office hours process referred items (silo or joint)
6. `citizens_react`   citizens judge replies (satisfaction, trust, ratings); those whose
                      patience ran out escalate or give up
7. `appraise`         at the end of each appraisal period, score staff and update pressure
8. `collect`          daily metrics at the end of each day

Everything random draws from named streams of one root seed (`simulation.streams`).
"""

from __future__ import annotations

import heapq
import math

import mesa
import numpy as np

from simulation import __version__
from simulation.accountability import initial_pressure, make_rule, pressure_after_appraisal
from simulation.agents.citizen import SILENT, Citizen, Population
from simulation.agents.department import Department, ReferralBook
from simulation.agents.operator import (
    TASK_CLARIFY,
    TASK_NEW,
    TASK_POST_ANSWER,
    Operator,
    OperatorDesk,
)
from simulation.calendar import Calendar
from simulation.codes import (
    ABANDONED,
    ANSWERED,
    BOILERPLATE,
    CHANNEL_NAMES,
    COMPLAINT,
    CONSULTATION,
    HOURS_PER_DAY,
    KIND_NAMES,
    MENTION,
    NEED_KINDS,
    NOT_RECEIVED,
    OPEN,
    PARTIAL,
    POST_CLARIFICATION,
    POST_NEGATIVE,
    POST_NEUTRAL,
    POST_RELEASE,
    POST_REPLY,
    POST_RUMOUR,
    REFERRED,
    RUMOUR,
    RUMOUR_CHANNEL,
    SUBSTANTIVE,
    VENT,
)
from simulation.diffusion import Cascade, DiffusionEngine, sorted_unique
from simulation.metrics import MetricsRecorder, summarise
from simulation.network import build_graph
from simulation.posts import ItemStore
from simulation.scenario import BurstEvent, RumourEvent, Scenario
from simulation.streams import Streams


class GovernmentResponseModel(mesa.Model):
    """A government account, its operators and departments, and the public it serves."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | None = None,
        days: int | None = None,
        create_citizen_agents: bool = True,
    ):
        scenario = scenario or Scenario()
        self.scenario = scenario
        self.seed = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(self.seed)
        super().__init__(rng=self.streams.seed_sequence("mesa"))
        self.days = scenario.run.days if days is None else int(days)
        self.version = __version__
        self.scenario_hash = scenario.content_hash()

        self.calendar = Calendar(scenario, self.days)
        self.graph = build_graph(
            scenario.network,
            scenario.population.citizens,
            scenario.population.follow_share,
            self.streams["network"],
        )
        self.population = Population(
            scenario,
            self.graph.n_citizens,
            self.graph.follows_government,
            self.graph.is_leader,
            self.streams["population"],
        )
        self.items = ItemStore(capacity=1024)
        self.metrics = MetricsRecorder(self.days)
        self.diffusion = DiffusionEngine(self.graph, self.streams["diffusion"])
        self.rule = make_rule(scenario.accountability)
        self.citizens: list[Citizen] = []
        if create_citizen_agents:
            self.citizens = [Citizen(self, i) for i in range(self.graph.n_citizens)]
        self._build_staff()
        self._build_events()

        topics = len(scenario.topics)
        self.knowledge = np.zeros(topics)  # what releases taught, per topic [0-1]
        self._knowledge_decay = 0.5 ** (1.0 / (24.0 * scenario.population.knowledge_half_life_days))
        self._recent_consultations = np.zeros(topics)  # decaying count, for targeted releases
        self._expiry: list[tuple[float, int]] = []  # (when patience runs out, item)
        self._judgements: list[tuple[int, float]] = []  # (item, reply time) to be judged
        self._item_departments: dict[int, list[int]] = {}
        self._needs = None
        self.hour = 0  # start of the hour being simulated (steps done so far)

    # Mesa 3.5 has a `scenario` property of its own that writes `scenario.model`; ours is
    # an immutable, validated description of the run and stays free of back-references.
    @property
    def scenario(self) -> Scenario:
        return self._settings

    @scenario.setter
    def scenario(self, value: Scenario) -> None:
        if isinstance(value, Scenario):
            self._settings = value
        else:  # Mesa's own experimental scenario object, set by mesa.Model.__init__
            self._mesa_scenario = value

    # ------------------------------------------------------------------ set-up

    def _build_staff(self) -> None:
        scenario = self.scenario
        staffing = scenario.staffing
        rng = self.streams["operators"]
        on_duty = self.calendar.shift_pattern(
            staffing.shifts, (staffing.extended_hours_start, staffing.extended_hours_end)
        )
        skills = _beta_with_mean_sd(staffing.skill_mean, staffing.skill_sd, staffing.operators, rng)
        skills = np.minimum(1.0, skills + staffing.training)
        pressure = initial_pressure(scenario.accountability)
        self.operators = []
        for i, skill in enumerate(skills):
            op = Operator(self, i, float(skill), on_duty)
            op.pressure = pressure
            self.operators.append(op)
        self.operator_desk = OperatorDesk(self, self.operators)
        office = self.calendar.shift_pattern("office_hours")
        self.departments = []
        for topic, (name, settings) in enumerate(scenario.departments.items()):
            dept = Department(self, topic, name, settings, office)
            dept.pressure = pressure
            self.departments.append(dept)
        self.referrals = ReferralBook(self, self.departments)

    def _build_events(self) -> None:
        topics = self.scenario.topics
        self._bursts = []
        self._rumours: dict[int, list[RumourEvent]] = {}
        for event in self.scenario.events:
            if isinstance(event, BurstEvent):
                kinds = [NEED_KINDS.index(k) for k in event.kinds]
                self._bursts.append(
                    (
                        event.start_day * HOURS_PER_DAY,
                        (event.start_day + event.duration_days) * HOURS_PER_DAY,
                        kinds,
                        topics.index(event.topic),
                        event.multiplier,
                    )
                )
            else:
                hour = int(event.day * HOURS_PER_DAY)
                self._rumours.setdefault(hour, []).append(event)

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

    def run(self, progress=None) -> None:
        """Run every hour of the scenario; `progress(hours_done)` is called once a day."""
        total = self.days * HOURS_PER_DAY
        while self.hour < total:
            self.step()
            if progress is not None and self.hour % HOURS_PER_DAY == 0:
                progress(self.hour)

    # ------------------------------------------------------------------ 1. needs

    def arise_needs(self, t: int) -> None:
        """Phase 1: this hour's needs, by kind and topic."""
        topics = len(self.scenario.topics)
        multiplier = np.ones((len(NEED_KINDS), topics))
        for start, end, kinds, topic, factor in self._bursts:
            if start <= t < end:
                multiplier[kinds, topic] *= factor
        reduction = self.scenario.population.release_consultation_reduction
        multiplier[CONSULTATION] *= 1.0 - reduction * self.knowledge
        rates = self.population.need_rates(t % HOURS_PER_DAY, multiplier)
        self._needs = self.population.arise_needs(t, rates, self.streams["needs"])
        day = t // HOURS_PER_DAY
        self.metrics.add(day, "needs", len(self._needs))
        # Operators know only the consultations they received (for targeted releases).
        self._recent_consultations *= 0.5 ** (1.0 / 24.0)

    # ------------------------------------------------------------------ 2. channels

    def choose_channels(self, t: int) -> None:
        """Phase 2: where each need goes; addressed ones enter the inbox."""
        needs = self._needs
        day = t // HOURS_PER_DAY
        if needs is not None and len(needs):
            channel = self.population.choose_channels(needs, self.streams["channels"])
            self.metrics.add(day, "silent_needs", int((channel == SILENT).sum()))
            posted = channel != SILENT
            needs, channel = needs.select(posted), channel[posted]
            if len(needs):
                self._post_needs(needs, channel, t)
        for event in self._rumours.get(t, ()):
            self._seed_rumours(event, t)

    def _post_needs(self, needs, channel: np.ndarray, t: int) -> None:
        addressed = channel != VENT
        n = len(needs)
        status = np.where(addressed, OPEN, NOT_RECEIVED)
        patience = self.population.draw_patience(n, self.streams["channels"])
        expire = np.where(addressed, needs.created + patience, np.inf)
        ids = self.items.add(
            created=needs.created,
            author=needs.author,
            kind=needs.kind,
            topic=needs.topic,
            second_topic=needs.second_topic,
            channel=channel,
            complexity=needs.complexity,
            status=status,
            received_at=np.where(addressed, needs.created, np.nan),
            expire_at=expire,
        )
        day = t // HOURS_PER_DAY
        store = self.items
        diffusion = self.scenario.diffusion
        for j, item in enumerate(ids.tolist()):
            created = float(needs.created[j])
            if addressed[j]:
                store.deadline[item] = self.deadline_for(created)
                self._receive(item, day)
                self.operator_desk.submit(item, TASK_NEW, created)
                if math.isfinite(expire[j]):
                    heapq.heappush(self._expiry, (float(expire[j]), item))
            else:
                self.metrics.add(day, "vents")
            if channel[j] in (MENTION, VENT):
                negative = channel[j] == VENT or needs.kind[j] == COMPLAINT
                self._start_cascade(
                    POST_NEGATIVE if negative else POST_NEUTRAL,
                    int(needs.author[j]),
                    created,
                    diffusion.repost_probability,
                    item=item,
                )

    def _receive(self, item: int, day: int) -> None:
        store = self.items
        if store.kind[item] == CONSULTATION:
            self._recent_consultations[store.topic[item]] += 1.0
        if store.kind[item] != RUMOUR:  # rumours are not requests (as in the summary)
            self.metrics.add(day, "received")
        self.metrics.add(day, f"received_{KIND_NAMES[store.kind[item]]}")
        self.metrics.add(day, f"received_via_{CHANNEL_NAMES[store.channel[item]]}")

    def _seed_rumours(self, event: RumourEvent, t: int) -> None:
        rng = self.streams["events"]
        leaders = np.flatnonzero(self.population.is_leader)
        pool = leaders if event.leaders_first and len(leaders) else np.arange(self.population.n)
        authors = rng.choice(pool, size=event.posts, replace=len(pool) < event.posts)
        created = t + rng.random(event.posts)
        topic = self.scenario.topics.index(event.topic)
        ids = self.items.add(
            created=created,
            author=authors,
            kind=np.full(event.posts, RUMOUR),
            topic=np.full(event.posts, topic),
            channel=np.full(event.posts, RUMOUR_CHANNEL),
        )
        self.metrics.add(t // HOURS_PER_DAY, "rumours", event.posts)
        for j, item in enumerate(ids.tolist()):
            self._start_cascade(
                POST_RUMOUR, int(authors[j]), float(created[j]), event.repost_probability, item=item
            )

    def deadline_for(self, created: float) -> float:
        acc = self.scenario.accountability
        if acc.deadline_working_days is not None:
            return self.calendar.add_working_days(created, acc.deadline_working_days)
        return created + acc.deadline_hours if acc.deadline_hours is not None else math.inf

    # ------------------------------------------------------------------ 3. diffusion

    def _start_cascade(
        self, post_type: int, source: int, when: float, probability: float, **extra
    ) -> Cascade:
        cascade = Cascade(post_type, source, when, probability, **extra)
        if post_type == POST_RUMOUR:
            cascade.exact = True
        return self.diffusion.start(cascade)

    def diffuse(self, t: int) -> None:
        """Phase 3: every cascade in flight advances; exposures move trust."""
        settings = self.scenario.diffusion
        for _ in range(settings.generations_per_hour):
            active = self.diffusion.active
            if not active:
                break
            n = len(active)
            base, exact = np.empty(n), np.zeros(n, dtype=bool)
            loss, gain = np.zeros(n), np.zeros(n)
            for i, cascade in enumerate(active):
                base[i], exact[i], loss[i], gain[i] = self._cascade_parameters(cascade)
            generation = self.diffusion.advance(base, exact, settings.influence_exponent)
            self.population.expose_batch(generation.exposed, generation.owner, loss, gain)
            self._account_generation(active, generation, loss, t)
            self.diffusion.prune()

    def _cascade_parameters(self, cascade: Cascade) -> tuple[float, bool, float, float]:
        """(repost probability, exact?, trust loss, trust gain per exposure) of a post now."""
        settings = self.scenario.diffusion
        item = cascade.item
        unresolved = item < 0 or not self.items.resolved[item]
        post_type = cascade.post_type
        if post_type == POST_RUMOUR:
            loss = settings.exposure_trust_loss if unresolved else 0.0
            return cascade.probability * cascade.damped, True, loss, 0.0
        base, loss, gain = cascade.probability, 0.0, 0.0
        if post_type == POST_NEGATIVE:
            base *= settings.negative_multiplier
            if unresolved:
                base *= settings.unresolved_multiplier
                loss = settings.exposure_trust_loss
        elif post_type == POST_REPLY:
            if cascade.quality == SUBSTANTIVE:
                gain = settings.exposure_trust_gain
            elif cascade.quality == BOILERPLATE:
                loss = settings.boilerplate_exposure_loss
        elif post_type == POST_CLARIFICATION:
            gain = settings.exposure_trust_gain
        return base, False, loss, gain

    def _account_generation(self, active: list[Cascade], generation, loss, t: int) -> None:
        """Impressions, monitoring, largest cascade and release reach after a generation."""
        day = t // HOURS_PER_DAY
        store = self.items
        impressions = generation.impressions
        self.metrics.add(day, "impressions", int(impressions.sum()))
        for i, cascade in enumerate(active):
            shown = int(impressions[i])
            if not shown:
                continue
            if loss[i] and cascade.post_type != POST_REPLY:
                self.metrics.add(day, "negative_impressions", shown)
            self.metrics.maximum(
                int(cascade.started // HOURS_PER_DAY), "largest_cascade", cascade.size
            )
            item = cascade.item
            if item >= 0:
                store.impressions[item] += shown
                store.reposts[item] += int(generation.reposts[i])
                self._maybe_monitor(item, t)
            elif cascade.post_type == POST_RELEASE:
                reached = sorted_unique(generation.exposed[generation.owner == i])
                reach = min(1.0, len(reached) / self.population.n)
                informativeness = self.scenario.population.release_informativeness
                k = self.knowledge[cascade.topic]
                self.knowledge[cascade.topic] = k + (1.0 - k) * informativeness * reach

    def _maybe_monitor(self, item: int, t: int) -> None:
        """Monitoring: a trending vent or rumour the government has not seen is pulled in."""
        mechanism = self.scenario.mechanism
        store = self.items
        if not mechanism.monitoring or store.status[item] != NOT_RECEIVED:
            return
        if store.impressions[item] < mechanism.monitoring_threshold_impressions:
            return
        is_rumour = store.kind[item] == RUMOUR
        if is_rumour and not mechanism.clarify_rumours:
            return
        # Seen when it trends, but not before it was posted (posts appear within the hour).
        now = max(float(t), float(store.created[item]))
        store.status[item] = OPEN
        store.received_at[item] = now
        store.via_monitoring[item] = True
        store.deadline[item] = self.deadline_for(now)
        self._receive(item, t // HOURS_PER_DAY)
        if is_rumour:
            self.operator_desk.submit(item, TASK_CLARIFY, now)
            return
        patience = self.population.draw_patience(1, self.streams["channels"])[0]
        store.expire_at[item] = now + patience
        if math.isfinite(store.expire_at[item]):
            heapq.heappush(self._expiry, (float(store.expire_at[item]), item))
        self.operator_desk.submit(item, TASK_NEW, now)

    # ------------------------------------------------------------------ 4. operators

    def operators_work(self, t: int) -> None:
        """Phase 4: operators on shift work through the inbox for this hour."""
        self.operator_desk.work(float(t), float(t + 1))

    def queue_key(self, item: int, task: int, arrival: float) -> tuple:
        """Priority of an inbox ticket under the mechanism's queue discipline."""
        store = self.items
        acc = self.scenario.accountability
        escalated_first = (
            acc.rule != "none" and acc.escalation_priority and store.escalations[item] > 0
        )
        rank = 0 if escalated_first else 1
        discipline = self.scenario.mechanism.queue_discipline
        if discipline == "deadline":
            return (rank, float(store.deadline[item]), arrival)
        if discipline == "visibility":
            visibility = float(store.impressions[item]) * (1 + int(store.escalations[item]))
            return (rank, -visibility, arrival)
        return (rank, arrival)

    def post_reply(self, item: int, quality: int, operator: int, now: float) -> None:
        """An operator posts the first reply to an item."""
        store = self.items
        if store.status[item] not in (OPEN, REFERRED):
            return
        self._mark_answered(item, quality, operator, now)
        day = int(now // HOURS_PER_DAY)
        self.metrics.add(day, "replies")
        self.metrics.add(day, f"replies_{_QUALITY_LABEL[quality]}")
        self.metrics.reply(day, float(store.reply_time[item]))
        on_time = now <= store.deadline[item]
        if on_time:
            self.metrics.add(day, "replies_on_time")
        if 0 <= operator < len(self.operators):
            record = self.operators[operator].record
            record.replied += 1
            record.on_time += int(on_time)
        self._judgements.append((item, now))
        if store.channel[item] in (MENTION, VENT):
            self._start_cascade(
                POST_REPLY,
                int(store.author[item]),
                now,
                self.scenario.diffusion.reply_repost_probability,
                item=-1,
                quality=quality,
            )

    def _mark_answered(self, item: int, quality: int, operator: int, now: float) -> None:
        store = self.items
        store.status[item] = ANSWERED
        store.quality[item] = quality
        store.resolved[item] = quality == SUBSTANTIVE
        store.reply_time[item] = now - store.created[item]
        store.ended_at[item] = now
        store.operator[item] = operator

    def refer(self, item: int, operator: int, now: float) -> None:
        store = self.items
        if store.status[item] != OPEN:
            return
        if store.operator[item] < 0:
            self.metrics.add(int(now // HOURS_PER_DAY), "first_referrals")
        store.status[item] = REFERRED
        store.operator[item] = operator
        self.metrics.add(int(now // HOURS_PER_DAY), "referrals")
        self.referrals.refer(item, now)
        self._rearm_patience(item, now)

    def leave(self, item: int, now: float) -> None:
        """An operator read an item and left it; the citizen keeps waiting."""
        self._rearm_patience(item, now)

    def _rearm_patience(self, item: int, now: float) -> None:
        """Patience that ran out while an operator held the item is judged now."""
        store = self.items
        if store.expire_at[item] <= now and math.isfinite(store.expire_at[item]):
            store.expire_at[item] = now
            heapq.heappush(self._expiry, (now, item))

    def return_to_inbox(self, item: int, now: float) -> None:
        """A department bounced a referred item back to the operators."""
        store = self.items
        store.status[item] = OPEN
        store.version[item] += 1
        self.metrics.add(int(now // HOURS_PER_DAY), "bounces")
        self.operator_desk.submit(item, TASK_NEW, now)
        self._rearm_patience(item, now)

    def answer_ready(self, item: int, quality: int, departments: list[int], when: float) -> None:
        """Departments finished; the answer goes to the operators' inbox to be posted."""
        self._item_departments[item] = departments
        self.operator_desk.submit(item, TASK_POST_ANSWER, when, data=quality)

    def clarify(self, item: int, operator: int, now: float) -> None:
        """An operator clarified a monitored rumour: it stops spreading, trust recovers."""
        store = self.items
        self._mark_answered(item, SUBSTANTIVE, operator, now)
        factor = self.scenario.diffusion.clarification_repost_factor
        for cascade in self.diffusion.active:
            if cascade.item == item:
                cascade.damped = factor
        self.metrics.add(int(now // HOURS_PER_DAY), "clarifications")
        self._start_cascade(
            POST_CLARIFICATION,
            self.graph.government,
            now,
            self.scenario.diffusion.release_repost_probability,
            topic=int(store.topic[item]),
        )

    def publish_release(self, operator: int) -> None:
        """An operator finished an information release; it goes out to the followers."""
        topics = self.scenario.topics
        if self.scenario.mechanism.targeted_releases and self._recent_consultations.any():
            topic = int(np.argmax(self._recent_consultations))
        else:
            mix = self.population.topic_mix
            topic = int(self.streams["operators"].choice(len(topics), p=mix))
        now = float(self.hour)
        self.metrics.add(int(now // HOURS_PER_DAY), "releases")
        self._start_cascade(
            POST_RELEASE,
            self.graph.government,
            now,
            self.scenario.diffusion.release_repost_probability,
            topic=topic,
        )

    # helpers operators and departments use to foresee outcomes

    def lateness_satisfaction(self, hours: float) -> float:
        r = self.scenario.reactions
        return r.lateness_penalty * max(0.0, hours / r.expected_reply_hours - 1.0)

    @property
    def abandonment_satisfaction(self) -> float:
        return self.scenario.reactions.abandonment_satisfaction

    def expected_referral_hours(self, item: int) -> float:
        store = self.items
        hours = self.departments[int(store.topic[item])].turnaround_hours
        second = int(store.second_topic[item])
        if second >= 0:
            other = self.departments[second].turnaround_hours
            if self.scenario.mechanism.coordination == "joint":
                hours = max(hours, other) + self.scenario.staffing.department_coordination_hours
            else:
                hours = hours + other + self.scenario.staffing.silo_handoff_hours
        return hours

    def expected_department_quality_value(self, item: int) -> float:
        q = self.departments[int(self.items.topic[item])].settings.quality
        return q * 1.0 + (1.0 - q) * 0.4

    def expected_department_satisfaction(self, item: int) -> float:
        q = self.departments[int(self.items.topic[item])].settings.quality
        sat = self.population.quality_satisfaction
        return q * sat[SUBSTANTIVE] + (1.0 - q) * sat[PARTIAL]

    # ------------------------------------------------------------------ 5. departments

    def departments_work(self, t: int) -> None:
        """Phase 5: departments process referred items in their office hours."""
        for dept in self.departments:
            dept.work(float(t), float(t + 1))

    # ------------------------------------------------------------------ 6. citizens

    def citizens_react(self, t: int) -> None:
        """Phase 6: judge this hour's replies; escalate or give up past patience."""
        self._judge_replies()
        self._patience_runs_out(float(t + 1))

    def _judge_replies(self) -> None:
        if not self._judgements:
            return
        store = self.items
        rows = np.array([i for i, _ in self._judgements])
        self._judgements.clear()
        needs = store.kind[rows] != RUMOUR
        rows = rows[needs]
        if not len(rows):
            return
        satisfaction = self.population.satisfaction(store.quality[rows], store.reply_time[rows])
        store.satisfaction[rows] = satisfaction
        self.population.update_trust(store.author[rows], satisfaction)
        rng = self.streams["reactions"]
        rated = rng.random(len(rows)) < self.scenario.reactions.rating_probability
        store.rated[rows] = rated
        for item, s, r in zip(rows.tolist(), satisfaction.tolist(), rated.tolist(), strict=True):
            if not r:
                continue
            day = int(store.ended_at[item] // HOURS_PER_DAY)
            self.metrics.add(day, "ratings")
            self.metrics.add(day, "rating_sum", s)
            operator = int(store.operator[item])
            if 0 <= operator < len(self.operators):
                self.operators[operator].record.rating_sum += s
                self.operators[operator].record.ratings += 1
            for topic in self._item_departments.pop(item, ()):
                record = self.departments[topic].record
                record.rating_sum += s
                record.ratings += 1

    def _patience_runs_out(self, until: float) -> None:
        store = self.items
        reactions = self.scenario.reactions
        rng = self.streams["reactions"]
        while self._expiry and self._expiry[0][0] < until:
            when, item = heapq.heappop(self._expiry)
            if store.expire_at[item] != when or store.status[item] not in (OPEN, REFERRED):
                continue
            if store.in_service[item]:
                continue  # an operator is on it; patience is judged again if it is left
            day = int(when // HOURS_PER_DAY)
            author = int(store.author[item])
            if (
                store.escalations[item] < reactions.max_escalations
                and rng.random() < reactions.escalation_probability
            ):
                self._escalate(item, when, day)
                self.population.update_trust_one(author, reactions.escalation_satisfaction)
            else:
                store.status[item] = ABANDONED
                store.ended_at[item] = when
                self.metrics.add(day, "abandonments")
                self.population.update_trust_one(author, reactions.abandonment_satisfaction)

    def _escalate(self, item: int, when: float, day: int) -> None:
        """Public negative re-post, complaint upward; patience starts again."""
        store = self.items
        reactions = self.scenario.reactions
        store.escalations[item] += 1
        self.metrics.add(day, "escalations")
        patience = self.population.draw_patience(1, self.streams["reactions"])[0]
        store.expire_at[item] = when + patience * reactions.escalation_patience_factor
        heapq.heappush(self._expiry, (float(store.expire_at[item]), item))
        self._start_cascade(
            POST_NEGATIVE,
            int(store.author[item]),
            when,
            self.scenario.diffusion.repost_probability,
            item=item,
        )
        if store.status[item] == OPEN:
            store.version[item] += 1
            self.operator_desk.submit(item, TASK_NEW, when)

    # ------------------------------------------------------------------ 7. appraisal

    def appraise(self, t: int) -> None:
        """Phase 7: at the end of an appraisal period, score staff and set pressure."""
        acc = self.scenario.accountability
        period_hours = acc.period_days * HOURS_PER_DAY
        if acc.rule == "none" or (t + 1) % period_hours:
            return
        scores = []
        for unit in (*self.operators, *self.departments):
            score = self.rule.period_score(unit.record)
            unit.last_score = score
            unit.pressure = pressure_after_appraisal(acc, score)
            unit.record.reset()
            if score is not None and isinstance(unit, Operator):
                scores.append(score)
        if scores:
            self.metrics.appraisal_scores.append(float(np.mean(scores)))
            self.metrics.snapshot(t // HOURS_PER_DAY, {"appraisal_score": float(np.mean(scores))})

    # ------------------------------------------------------------------ 8. collect

    def collect(self, t: int) -> None:
        """Phase 8: end-of-day snapshot of stocks and utilisation."""
        self.knowledge *= self._knowledge_decay
        if (t + 1) % HOURS_PER_DAY:
            return
        day = t // HOURS_PER_DAY
        busy, reserved, duty = self.operator_desk.desk.reset_counters()
        self.metrics.add(day, "operator_busy_hours", busy + reserved)
        self.metrics.add(day, "operator_duty_hours", duty)
        dept_busy = dept_duty = 0.0
        for dept in self.departments:
            b, _, d = dept.desk.reset_counters()
            dept_busy += b
            dept_duty += d
        self.metrics.add(day, "department_busy_hours", dept_busy)
        self.metrics.add(day, "department_duty_hours", dept_duty)
        status = self.items.view("status")
        trust = self.population.trust
        self.metrics.snapshot(
            day,
            {
                "backlog_operators": self.operator_desk.backlog(),
                "backlog_departments": sum(d.backlog() for d in self.departments),
                "open_items": int(np.count_nonzero(status == OPEN)),
                "referred_items": int(np.count_nonzero(status == REFERRED)),
                "mean_trust": float(trust.mean()),
                "trust_sd": float(trust.std()),
            },
        )

    # ------------------------------------------------------------------ results

    def summary(self) -> dict[str, float]:
        return summarise(self)

    def provenance(self) -> dict[str, object]:
        return {
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "version": self.version,
            "days": self.days,
            "citizens": self.graph.n_citizens,
        }


_QUALITY_LABEL = {SUBSTANTIVE: "substantive", PARTIAL: "partial", BOILERPLATE: "boilerplate"}


def _beta_with_mean_sd(mean: float, sd: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Beta draws with a given mean and standard deviation (constant when sd is 0)."""
    if sd <= 0.0 or mean <= 0.0 or mean >= 1.0:
        return np.full(size, mean)
    var = min(sd**2, mean * (1.0 - mean) * 0.99)
    common = mean * (1.0 - mean) / var - 1.0
    return rng.beta(mean * common, (1.0 - mean) * common, size=size)
